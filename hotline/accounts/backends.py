from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from hotline.accounts.throttle import login_is_throttled


class RoleBackend(ModelBackend):
    """Permissions come from the user's roles only, so that every permission
    has a data scope; failed logins beyond the limit refuse further tries."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username and login_is_throttled(username=username, request=request):
            # Stops authenticate() for every backend; the failure is audited.
            raise PermissionDenied("throttled")
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_group_permissions(self, user_obj, obj=None):
        # The same role query that answers data-scope questions answers this
        # one too, so a request asks the database once for both.
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_group_permissions(user_obj, obj)
        return set(user_obj.scoped_permissions())

    def _get_user_permissions(self, user_obj):
        return Permission.objects.none()

    def _get_group_permissions(self, user_obj):
        return Permission.objects.filter(roles__users=user_obj)
