"""The default roles: the people of SPEC.md and what each may do.

``ROLES`` is the catalogue. A role's ``permissions`` are names like
``"accounts.view_user"``; ``"app_label.*"`` stands for every permission of an
app. An app that adds functions adds its permission names to the roles here,
or, to keep its grants beside its code, lists them in its own ``roles.py`` as

    GRANTS = {"agent": ["customers.view_customer"], "lead": [...]}

which ``role_permission_names()`` merges in. Names of apps that are not
installed are skipped, so the catalogue may name optional apps.

``roles_sync()`` writes the catalogue to the database. It is bootstrap code
(``manage.py setup_roles``, demo data, tests) with no acting user: it creates
missing roles and adds missing permissions, and never takes away a permission
an administrator granted, nor changes a name or scope an administrator edited,
unless asked to ``reset``.
"""

import importlib
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Permission
from django.db import transaction

from hotline.core.scope import DataScope

# Permissions of the sample app that exists only in the test settings; it is
# where the suite proves data scope, so the roles carry them when it is there.
_SAMPLE_RECORD = (
    "sampleapp.view_samplerecord",
    "sampleapp.add_samplerecord",
    "sampleapp.change_samplerecord",
)


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    name_en: str
    data_scope: DataScope
    permissions: tuple[str, ...] = ()
    description: str = ""  # Chinese, like ``name``
    description_en: str = ""


ROLES: dict[str, RoleSpec] = {
    spec.code: spec
    for spec in (
        RoleSpec(
            code="agent",
            name="坐席",
            name_en="Agent",
            data_scope=DataScope.OWN,
            permissions=(*_SAMPLE_RECORD,),
            description="接听和拨打电话，处理本人的客户、订单和任务。",
            description_en="Takes and makes calls; works on own customers, orders and tasks.",
        ),
        RoleSpec(
            code="lead",
            name="班长",
            name_en="Team lead",
            data_scope=DataScope.TEAM,
            permissions=("accounts.view_user", "accounts.add_apitoken", *_SAMPLE_RECORD),
            description="带领坐席小组，查看本组的工作。",
            description_en="Leads a team of agents and sees the team's work.",
        ),
        RoleSpec(
            code="department_head",
            name="部门主管",
            name_en="Department head",
            data_scope=DataScope.DEPARTMENT,
            permissions=("accounts.view_user", *_SAMPLE_RECORD),
            description="主管部门，查看部门内所有小组的工作。",
            description_en="Heads a department and sees the work of all its teams.",
        ),
        RoleSpec(
            code="qa",
            name="质检",
            name_en="QA inspector",
            # Inspectors score the calls of every team, not those of their own office.
            data_scope=DataScope.ALL,
            description="听取录音，为通话评分。",
            description_en="Listens to recordings and scores calls.",
        ),
        RoleSpec(
            code="order_reviewer",
            name="订单管理员",
            name_en="Order reviewer",
            # The order office reviews the orders that every sales team takes.
            data_scope=DataScope.ALL,
            description="审核、批准和作废订单。",
            description_en="Reviews, approves and voids orders.",
        ),
        RoleSpec(
            code="logistics",
            name="物流",
            name_en="Logistics clerk",
            data_scope=DataScope.ALL,
            description="订单发货，导入运单号和签收反馈。",
            description_en="Ships orders, imports tracking numbers and delivery feedback.",
        ),
        RoleSpec(
            code="warehouse",
            name="库管",
            name_en="Warehouse keeper",
            data_scope=DataScope.ALL,
            description="管理库存：入库、拣货、盘点。",
            description_en="Keeps stock: receiving, picking, stocktaking.",
        ),
        RoleSpec(
            code="finance",
            name="财务",
            name_en="Finance",
            data_scope=DataScope.ALL,
            description="核对货款，结算订单。",
            description_en="Reconciles payments and settles orders.",
        ),
        RoleSpec(
            code="admin",
            name="系统管理员",
            name_en="Administrator",
            data_scope=DataScope.ALL,
            permissions=("accounts.*", "core.*", *_SAMPLE_RECORD),
            description="管理用户、部门、小组、角色和系统设置。",
            description_en="Manages users, departments, teams, roles and system settings.",
        ),
    )
}


@dataclass
class SyncResult:
    roles: dict = field(default_factory=dict)  # code → Role
    created: list[str] = field(default_factory=list)
    added: dict[str, list[str]] = field(default_factory=dict)  # code → permission names
    skipped: list[str] = field(default_factory=list)  # names of apps not installed


def app_grants() -> dict[str, list[str]]:
    """``GRANTS`` from the ``roles.py`` of every installed Hotline app but this one."""
    merged: dict[str, list[str]] = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("hotline.") or config.name == "hotline.accounts":
            continue
        module_name = f"{config.name}.roles"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for code, names in getattr(module, "GRANTS", {}).items():
            merged.setdefault(code, []).extend(names)
    return merged


def role_permission_names(code: str, grants: dict[str, list[str]] | None = None) -> list[str]:
    """The permission names the catalogue gives role ``code``, patterns unexpanded."""
    grants = app_grants() if grants is None else grants
    return list(dict.fromkeys([*ROLES[code].permissions, *grants.get(code, [])]))


def _permission_index() -> dict[str, Permission]:
    return {
        f"{perm.content_type.app_label}.{perm.codename}": perm
        for perm in Permission.objects.select_related("content_type")
    }


def resolve_permissions(names, index=None) -> tuple[list[Permission], list[str]]:
    """Permission rows for ``names`` and the names skipped because their app is
    not installed. A name of an installed app that does not exist is an error:
    it is a typo in the catalogue."""
    index = _permission_index() if index is None else index
    installed = {config.label for config in apps.get_app_configs()}
    found: dict[int, Permission] = {}
    skipped = []
    for name in names:
        app_label, _sep, codename = name.partition(".")
        if app_label not in installed:
            skipped.append(name)
        elif codename == "*":
            for key, perm in index.items():
                if key.startswith(f"{app_label}."):
                    found[perm.pk] = perm
        elif name in index:
            found[index[name].pk] = index[name]
        else:
            raise LookupError(f"The role catalogue names an unknown permission: {name}")
    return list(found.values()), skipped


def _ensure_permission_rows() -> None:
    """Permissions exist after ``migrate``; make sure, in case a test flushed them."""
    for config in apps.get_app_configs():
        create_permissions(config, verbosity=0)


@transaction.atomic
def roles_sync(*, reset: bool = False) -> SyncResult:
    """Create the catalogue's roles and add the permissions they miss.

    With ``reset`` a role's names, description, scope and permissions are set
    to exactly the catalogue's, taking away what an administrator added.
    """
    from hotline.accounts.models import Role

    grants = app_grants()
    unknown = sorted(set(grants) - set(ROLES))
    if unknown:
        raise LookupError(f"GRANTS name roles not in the catalogue: {', '.join(unknown)}")
    _ensure_permission_rows()
    index = _permission_index()
    result = SyncResult()
    for code, spec in ROLES.items():
        wanted, skipped = resolve_permissions(role_permission_names(code, grants), index)
        result.skipped += [name for name in skipped if name not in result.skipped]
        role, created = Role.objects.get_or_create(code=code, defaults=_role_fields(Role, spec))
        if created:
            result.created.append(code)
        elif reset:
            for name, value in _role_fields(Role, spec).items():
                setattr(role, name, value)
            role.save()
        missing = _apply_permissions(role, wanted, reset=reset)
        if missing:
            result.added[code] = missing
        result.roles[code] = role
    return result


def _role_fields(model, spec: RoleSpec) -> dict:
    return {
        "name": spec.name,
        "name_en": spec.name_en,
        "data_scope": spec.data_scope,
        "description": spec.description,
        "description_en": spec.description_en,
    }


def _apply_permissions(role, wanted: list[Permission], *, reset: bool) -> list[str]:
    """Give ``role`` the ``wanted`` permissions (only those, with ``reset``);
    log the change and tell its users. Returns the names added."""
    from hotline.accounts.events import PermissionsChanged
    from hotline.core.events import publish

    def label(perm):
        return f"{perm.content_type.app_label}.{perm.codename}"

    before = {label(perm) for perm in role.permissions.select_related("content_type")}
    after = {label(perm) for perm in wanted} | (set() if reset else before)
    if before == after:
        return []
    if reset:
        role.permissions.set(wanted)
    else:
        role.permissions.add(*[perm for perm in wanted if label(perm) not in before])
    role.record_change({"permissions": [sorted(before), sorted(after)]})
    for user_id in role.users.values_list("pk", flat=True):
        publish(PermissionsChanged(user_id=user_id))
    return sorted(after - before)
