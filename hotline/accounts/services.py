"""Writes for users, departments, teams, roles and API tokens.

Every function checks the acting user's permission first and changes
nothing when it refuses.
"""

from datetime import datetime

from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import audit_record
from hotline.accounts.events import PermissionsChanged
from hotline.accounts.models import ApiToken, AuditEvent, Department, Role, Team, User
from hotline.core.events import forget_owner_routes, publish
from hotline.core.exceptions import Conflict, InvalidData, NotAllowed
from hotline.core.permissions import require_object_perm, require_perm

USER_FIELDS = {
    "full_name",
    "email",
    "department",
    "team",
    "language",
    "extension",
    "mobile",
    "is_active",
}


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidData(" ".join(exc.messages), details={"password": exc.messages}) from exc


def _check_team_in_department(team: Team | None, department: Department | None) -> None:
    if team and department and team.department_id != department.pk:
        raise InvalidData(
            _("Team “%(team)s” does not belong to department “%(dept)s”.")
            % {"team": team, "dept": department},
            details={"team": [_("Choose a team of the user's department.")]},
        )


@transaction.atomic
def user_create(*, actor: User, username: str, password: str, roles=(), **fields) -> User:
    require_perm(actor, "accounts.add_user")
    username = username.strip()
    if not username:
        raise InvalidData(_("Enter a user name."), details={"username": [_("Required.")]})
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(
            _("The user name “%(name)s” is taken.") % {"name": username},
            details={"username": [_("Already in use.")]},
        )
    unknown = set(fields) - USER_FIELDS
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    _check_team_in_department(fields.get("team"), fields.get("department"))
    user = User(username=username, **fields)
    _check_password(password, user)
    user.set_password(password)
    user.save()
    if roles:
        _assign_roles(actor, user, roles)
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, **fields) -> User:
    require_object_perm(actor, user, "change")
    unknown = set(fields) - USER_FIELDS
    if unknown:
        raise InvalidData(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    if user.pk == actor.pk and fields.get("is_active") is False:
        raise Conflict(_("You cannot deactivate your own account."))
    _check_team_in_department(
        fields.get("team", user.team), fields.get("department", user.department)
    )
    moved = any(
        name in fields and getattr(user, f"{name}_id") != getattr(fields[name], "pk", None)
        for name in ("team", "department")
    )
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()
    if moved:
        forget_owner_routes(user.pk)
    if fields.get("is_active") is False or moved:
        # Live connections re-subscribe to the groups of the new team/department.
        publish(PermissionsChanged(user_id=user.pk))
    return user


def _assign_roles(actor: User, user: User, roles) -> None:
    roles = list(roles)
    current = set(user.roles.values_list("pk", flat=True))
    grants_all = any(role.data_scope == "all" and role.pk not in current for role in roles)
    if grants_all and not actor.is_superuser and not _holds_role_with_all(actor):
        raise NotAllowed(_("Only an administrator may grant a role with scope “all records”."))
    before = sorted(user.roles.values_list("code", flat=True))
    user.roles.set(roles)
    after = sorted(role.code for role in roles)
    if before != after:
        user.record_change({"roles": [before, after]})
        user.forget_permissions()
        publish(PermissionsChanged(user_id=user.pk))


def _holds_role_with_all(user: User) -> bool:
    return user.roles.filter(data_scope="all", permissions__codename="change_role").exists()


@transaction.atomic
def user_set_roles(*, actor: User, user: User, roles) -> User:
    require_object_perm(actor, user, "change")
    _assign_roles(actor, user, roles)
    return user


@transaction.atomic
def user_set_password(*, actor: User, user: User, password: str) -> User:
    if actor.pk != user.pk:
        require_object_perm(actor, user, "change")
    _check_password(password, user)
    user.set_password(password)
    user.save()
    audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=actor, object_repr=user)
    return user


def user_set_language(*, user: User, language: str) -> User:
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise InvalidData(_("Unsupported language: %s") % language)
    user.language = language
    user.save(update_fields=["language", "updated_at"])
    return user


def _refresh_subtree_paths(department: Department) -> None:
    parent_path = department.parent.path if department.parent_id else "/"
    department.path = f"{parent_path}{department.pk}/"
    Department.objects.filter(pk=department.pk).update(path=department.path)
    for child in department.children.all():
        _refresh_subtree_paths(child)


@transaction.atomic
def department_create(*, actor: User, name: str, parent=None, head=None) -> Department:
    require_perm(actor, "accounts.add_department")
    if not name.strip():
        raise InvalidData(_("Enter a name."), details={"name": [_("Required.")]})
    department = Department.objects.create(name=name.strip(), parent=parent, head=head)
    _refresh_subtree_paths(department)
    return department


@transaction.atomic
def department_update(*, actor: User, department: Department, **fields) -> Department:
    require_perm(actor, "accounts.change_department")
    parent = fields.get("parent", department.parent)
    if parent is not None and (
        parent.pk == department.pk or parent.path.startswith(department.path)
    ):
        raise Conflict(
            _("A department cannot be moved under itself or one of its sub-departments."),
            details={"parent": [_("Choose another parent.")]},
        )
    moved = "parent" in fields and department.parent_id != getattr(parent, "pk", None)
    for name in ("name", "parent", "head"):
        if name in fields:
            setattr(department, name, fields[name])
    department.save()
    _refresh_subtree_paths(department)
    if moved:
        forget_owner_routes()
        members = User.objects.filter(department__path__startswith=department.path)
        for user_id in members.values_list("pk", flat=True):
            publish(PermissionsChanged(user_id=user_id))
    return department


@transaction.atomic
def department_delete(*, actor: User, department: Department) -> None:
    require_perm(actor, "accounts.delete_department")
    if department.children.exists() or department.teams.exists() or department.members.exists():
        raise Conflict(
            _("“%(dept)s” still has sub-departments, teams or members.") % {"dept": department}
        )
    department.delete()


@transaction.atomic
def team_create(*, actor: User, name: str, department: Department, lead=None) -> Team:
    require_perm(actor, "accounts.add_team")
    if not name.strip():
        raise InvalidData(_("Enter a name."), details={"name": [_("Required.")]})
    return Team.objects.create(name=name.strip(), department=department, lead=lead)


@transaction.atomic
def team_update(*, actor: User, team: Team, **fields) -> Team:
    require_perm(actor, "accounts.change_team")
    for name in ("name", "department", "lead"):
        if name in fields:
            setattr(team, name, fields[name])
    team.save()
    return team


@transaction.atomic
def team_delete(*, actor: User, team: Team) -> None:
    require_perm(actor, "accounts.delete_team")
    if team.members.exists():
        raise Conflict(_("“%(team)s” still has members.") % {"team": team})
    team.delete()


def _set_role_permissions(role: Role, permissions) -> None:
    before = sorted(role.permissions.values_list("codename", flat=True))
    role.permissions.set(permissions)
    after = sorted(role.permissions.values_list("codename", flat=True))
    if before != after:
        role.record_change({"permissions": [before, after]})
        for user_id in role.users.values_list("pk", flat=True):
            publish(PermissionsChanged(user_id=user_id))


@transaction.atomic
def role_create(*, actor: User, code: str, name: str, permissions=(), **fields) -> Role:
    require_perm(actor, "accounts.add_role")
    if Role.objects.filter(code=code).exists():
        raise Conflict(
            _("The role code “%(code)s” is taken.") % {"code": code},
            details={"code": [_("Already in use.")]},
        )
    role = Role.objects.create(code=code, name=name, **fields)
    _set_role_permissions(role, permissions)
    return role


@transaction.atomic
def role_update(*, actor: User, role: Role, permissions=None, **fields) -> Role:
    require_perm(actor, "accounts.change_role")
    for name, value in fields.items():
        setattr(role, name, value)
    role.save()
    if permissions is not None:
        _set_role_permissions(role, permissions)
    if "data_scope" in fields:
        for user_id in role.users.values_list("pk", flat=True):
            publish(PermissionsChanged(user_id=user_id))
    return role


def permissions_from_names(names) -> list[Permission]:
    """``["accounts.view_user", …]`` → Permission rows; an unknown name is an error."""
    wanted = set(names)
    found = []
    for perm in Permission.objects.select_related("content_type"):
        name = f"{perm.content_type.app_label}.{perm.codename}"
        if name in wanted:
            found.append(perm)
            wanted.discard(name)
    if wanted:
        raise InvalidData(_("Unknown permissions: %s") % ", ".join(sorted(wanted)))
    return found


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is not stored and cannot be shown again."""
    require_perm(user, "accounts.add_apitoken")
    if not name.strip():
        raise InvalidData(_("Give the token a name."), details={"name": [_("Required.")]})
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidData(_("The expiry must be in the future."))
    key_id, raw_key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        key_id=key_id,
        key_hash=ApiToken.hash_key(raw_key),
        expires_at=expires_at,
    )
    audit_record(action=AuditEvent.Action.TOKEN_CREATED, actor=user, object_repr=token)
    return token, raw_key


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        require_object_perm(actor, token, "delete")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save()
        audit_record(action=AuditEvent.Action.TOKEN_REVOKED, actor=actor, object_repr=token)
    return token


def api_token_authenticate(raw_key: str) -> User | None:
    import hmac

    key_id = ApiToken.key_id_of(raw_key or "")
    if key_id is None:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(key_id=key_id).first()
    if token is None or not hmac.compare_digest(token.key_hash, ApiToken.hash_key(raw_key)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
