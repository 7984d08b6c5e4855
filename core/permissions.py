"""Permission checks. The pages: `any_permission_required` for a view that adds or changes, by one URL, depending on
what it is given — above the method check, like `permission_required`, so a user without the right learns nothing
else. The API: both login factors always, plus the model permission the method needs, or the permissions a view
names for one of its actions."""

from django.contrib.auth.decorators import user_passes_test
from django.core.exceptions import PermissionDenied
from rest_framework import permissions


def any_permission_required(*perms: str):
    """A view decorator: 403 unless the user holds at least one of the permissions. The view then checks the exact
    one its request needs (e.g. adding rather than changing)."""

    def holds_one(user) -> bool:
        if any(user.has_perm(perm) for perm in perms):
            return True
        raise PermissionDenied

    return user_passes_test(holds_one)


class IsVerified(permissions.BasePermission):
    """A session that passed both factors (for what every staff member may read, e.g. the API schema)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_verified())


class IsVerifiedStaff(IsVerified, permissions.DjangoModelPermissions):
    """The default: GET needs 'view', POST 'add', PUT/PATCH 'change', DELETE 'delete' on the view's model.

    A view may name the permissions of an action instead: `action_permissions = {"cancel": ["app.change_x"]}`
    (actions of a viewset, or lower-case HTTP methods of a plain APIView). A view with neither is refused."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if not IsVerified.has_permission(self, request, view):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # a method the endpoint does not have: DRF answers 405, as the schema says
        action = getattr(view, "action", None) or request.method.lower()
        named = getattr(view, "action_permissions", {})
        if action in named:
            return request.user.has_perms(named[action])
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return False
        return permissions.DjangoModelPermissions.has_permission(self, request, view)
