from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status

from hotline.accounts import selectors, services
from hotline.accounts.models import ApiToken, Department, Role, Team, User
from hotline.accounts.schemas import (
    DepartmentIn,
    DepartmentOut,
    MeOut,
    TeamIn,
    TeamOut,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from hotline.core.exceptions import InvalidData

router = Router(tags=["accounts"])


def _roles_by_code(actor, codes: list[str]) -> list[Role]:
    roles = list(Role.objects.filter(code__in=codes))
    missing = set(codes) - {role.code for role in roles}
    if missing:
        raise InvalidData(_("Unknown roles: %s") % ", ".join(sorted(missing)))
    return roles


def _related(model, pk, field: str):
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise InvalidData(
            _("No such %(what)s: %(id)s") % {"what": field, "id": pk},
            details={f"{field}_id": [_("Not found.")]},
        )
    return found


@router.get("/me", response=MeOut, summary="The signed-in user, roles and permissions with scope")
def me(request):
    user = request.user
    user.permissions = {perm: str(scope) for perm, scope in user.scoped_permissions().items()}
    if user.is_superuser:
        user.permissions = {perm: "all" for perm in user.get_all_permissions()}
    return user


@router.get("/users", response=list[UserOut])
def list_users(request, search: str = ""):
    return list(selectors.user_list(actor=request.user, search=search)[:500])


@router.get("/users/{user_id}", response=UserOut)
def get_user(request, user_id: int):
    return get_object_or_404(selectors.user_list(actor=request.user), pk=user_id)


@router.post("/users", response={201: UserOut})
def create_user(request, payload: UserIn):
    user = services.user_create(
        actor=request.user,
        username=payload.username,
        password=payload.password,
        roles=_roles_by_code(request.user, payload.roles),
        full_name=payload.full_name,
        email=payload.email,
        department=_related(Department, payload.department_id, "department"),
        team=_related(Team, payload.team_id, "team"),
        language=payload.language,
        extension=payload.extension,
    )
    return Status(201, user)


@router.patch("/users/{user_id}", response=UserOut)
def update_user(request, user_id: int, payload: UserPatch):
    user = get_object_or_404(selectors.user_list(actor=request.user), pk=user_id)
    fields = payload.dict(exclude_unset=True)
    roles = fields.pop("roles", None)
    for name, model in (("department", Department), ("team", Team)):
        if f"{name}_id" in fields:
            fields[name] = _related(model, fields.pop(f"{name}_id"), name)
    services.user_update(actor=request.user, user=user, **fields)
    if roles is not None:
        services.user_set_roles(
            actor=request.user, user=user, roles=_roles_by_code(request.user, roles)
        )
    return user


@router.get("/departments", response=list[DepartmentOut])
def list_departments(request):
    return list(selectors.department_tree(actor=request.user))


@router.post("/departments", response={201: DepartmentOut})
def create_department(request, payload: DepartmentIn):
    department = services.department_create(
        actor=request.user,
        name=payload.name,
        parent=_related(Department, payload.parent_id, "parent"),
        head=_related(User, payload.head_id, "head"),
    )
    return Status(201, department)


@router.get("/teams", response=list[TeamOut])
def list_teams(request):
    return list(selectors.team_list(actor=request.user))


@router.post("/teams", response={201: TeamOut})
def create_team(request, payload: TeamIn):
    department = _related(Department, payload.department_id, "department")
    team = services.team_create(
        actor=request.user,
        name=payload.name,
        department=department,
        lead=_related(User, payload.lead_id, "lead"),
    )
    return Status(201, team)


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
def list_tokens(request):
    return list(selectors.api_token_list(actor=request.user))


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token")
def create_token(request, payload: TokenIn):
    token, key = services.api_token_create(
        user=request.user, name=payload.name, expires_at=payload.expires_at
    )
    token.key = key
    return Status(201, token)


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke an API token")
def revoke_token(request, token_id: int):
    token = get_object_or_404(
        ApiToken.objects.filter(pk=token_id).filter(user=request.user)
        | ApiToken.objects.restrict(request.user, "delete").filter(pk=token_id)
    )
    return services.api_token_revoke(actor=request.user, token=token)
