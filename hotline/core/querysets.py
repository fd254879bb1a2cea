from django.db import models

from hotline.core.scope import permission_name, scope_filter


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        """Only the rows ``user`` may ``action``: none without the permission,
        then narrowed to the data scope of the roles that grant it."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        perm = permission_name(self.model, action)
        scope = user.data_scope(perm)
        if scope is None:
            return self.none()
        condition = scope_filter(self.model, user, scope)
        return self if condition is None else self.filter(condition)


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):
    pass
