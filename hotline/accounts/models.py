import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from hotline.core.models import ChangeLoggedModel
from hotline.core.querysets import RestrictedManager, RestrictedQuerySet
from hotline.core.scope import DataScope, widest_scope


def _english() -> bool:
    return translation.get_language() == "en"


class Department(ChangeLoggedModel):
    """A node of the organisation tree. ``path`` lists the ids from the root
    ("/1/4/9/") so a subtree is one prefix query."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return max(self.path.count("/") - 2, 0)

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def subtree(self):
        return Department.objects.filter(path__startswith=self.path)


class Team(ChangeLoggedModel):
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="teams"
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["department__path", "name"]

    def __str__(self):
        return self.name


class Role(ChangeLoggedModel):
    """Grants function permissions (which also decide the menu) and the data
    scope those permissions apply with."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    data_scope = models.CharField(
        _("data scope"), max_length=12, choices=DataScope.choices, default=DataScope.OWN
    )
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("permissions"), blank=True, related_name="roles"
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_en if _english() and self.name_en else self.name

    @property
    def display_description(self) -> str:
        return self.description_en if _english() and self.description_en else self.description


class UserManager(DjangoUserManager.from_queryset(RestrictedQuerySet)):
    pass


class User(ChangeLoggedModel, AbstractUser):
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    mobile = models.CharField(_("mobile"), max_length=30, blank=True)

    objects = UserManager()
    scope_owner_field = "self"

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        permissions = [
            ("view_administration", _("Can open the administration pages")),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    # --- data scope -----------------------------------------------------
    def _role_scopes(self) -> dict[str, DataScope]:
        cache = getattr(self, "_role_scope_cache", None)
        if cache is None:
            pairs = Role.objects.filter(users=self).values_list(
                "data_scope", "permissions__content_type__app_label", "permissions__codename"
            )
            grouped: dict[str, list[str]] = {}
            for scope, app_label, codename in pairs:
                if codename:
                    grouped.setdefault(f"{app_label}.{codename}", []).append(scope)
            cache = {perm: widest_scope(scopes) for perm, scopes in grouped.items()}
            self._role_scope_cache = cache
        return cache

    def data_scope(self, perm: str) -> DataScope | None:
        """The widest scope with which the user's roles grant ``perm``."""
        if not self.is_active:
            return None
        if self.is_superuser:
            return DataScope.ALL
        return self._role_scopes().get(perm)

    def scoped_permissions(self) -> dict[str, DataScope]:
        if self.is_superuser:
            return {}
        return dict(self._role_scopes())

    def scope_team_ids(self) -> list[int]:
        ids = set(self.led_teams.values_list("pk", flat=True))
        if self.team_id:
            ids.add(self.team_id)
        return sorted(ids)

    def scope_department_ids(self) -> list[int]:
        roots = list(self.headed_departments.values_list("path", flat=True))
        if self.department_id:
            roots.append(self.department.path)
        if not roots:
            return []
        condition = models.Q()
        for path in roots:
            condition |= models.Q(path__startswith=path)
        return list(Department.objects.filter(condition).values_list("pk", flat=True))

    def department_ancestor_ids(self) -> list[int]:
        return self.department.ancestor_ids() if self.department_id else []

    def forget_permissions(self) -> None:
        for attr in ("_role_scope_cache", "_perm_cache", "_group_perm_cache", "_user_perm_cache"):
            self.__dict__.pop(attr, None)


def _hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiTokenQuerySet(RestrictedQuerySet):
    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(ChangeLoggedModel):
    """A key for another system to call the API as this user. Only a hash is
    stored; the key is shown once, when it is made."""

    PREFIX = "hl_"

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = RestrictedManager.from_queryset(ApiTokenQuerySet)()
    scope_owner_field = "user"

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.PREFIX}{self.key_id}…)"

    @classmethod
    def generate_key(cls) -> tuple[str, str]:
        key_id = secrets.token_hex(6)
        return key_id, f"{cls.PREFIX}{key_id}_{secrets.token_urlsafe(32)}"

    @staticmethod
    def hash_key(raw_key: str) -> str:
        return _hash_key(raw_key)

    @classmethod
    def key_id_of(cls, raw_key: str) -> str | None:
        if not raw_key.startswith(cls.PREFIX):
            return None
        key_id, _sep, rest = raw_key[len(cls.PREFIX) :].partition("_")
        return key_id if key_id and rest else None

    @property
    def is_usable(self) -> bool:
        if self.revoked_at:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class AuditEvent(models.Model):
    """Security-relevant happenings. Data changes are in core.ObjectChange."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGIN_THROTTLED = "login_throttled", _("Login refused (too many failures)")
        LOGOUT = "logout", _("Logout")
        EXPORT = "export", _("Export")
        PERMISSION_DENIED = "denied", _("Permission denied")
        TOKEN_CREATED = "token_created", _("API token created")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")
        PASSWORD_CHANGED = "password_changed", _("Password changed")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        User,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("user name"), max_length=150, blank=True, db_index=True)
    remote_addr = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "username", "-at"])]

    def __str__(self):
        return f"{self.get_action_display()} {self.username}"
