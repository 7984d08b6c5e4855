from django.contrib.auth.middleware import LoginRequiredMiddleware


class VerifiedLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a login that passed both factors, unless its view is marked @login_not_required.

    The API is left to DRF, whose permission classes answer 403 in JSON instead of redirecting.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/") or not getattr(view_func, "login_required", True):
            return None
        if request.user.is_authenticated and request.user.is_verified():
            return None
        return self.handle_no_permission(request, view_func)
