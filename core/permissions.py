"""The API's default permission: both login factors, plus the model permission the HTTP method needs."""

from rest_framework import permissions


class IsVerifiedStaff(permissions.DjangoModelPermissions):
    """A session that passed both factors, holding the model permission the method needs (GET needs 'view')."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_verified()):
            return False
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)
