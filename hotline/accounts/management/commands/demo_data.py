"""Demo organisation: departments, teams and one user per role.

Safe to run again: what exists (found by name, or by user name) is kept as
it is, only what is missing is created. Everything but the first
administrator is created through the services, acting as that administrator,
so the change log shows who made it.
"""

import importlib
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hotline.accounts import services
from hotline.accounts.models import Department, Role, Team, User
from hotline.accounts.roles import ROLES, roles_sync
from hotline.core.context import acting_as
from hotline.core.exceptions import InvalidData

# key, name, parent key
DEPARTMENTS = [
    ("hq", "总部", None),
    ("sales", "销售中心", "hq"),
    ("service", "客服中心", "hq"),
    ("qa", "质检部", "hq"),
    ("orders", "订单部", "hq"),
    ("logistics", "物流部", "hq"),
    ("warehouse", "仓储部", "hq"),
    ("finance", "财务部", "hq"),
]

# key, name, department key
TEAMS = [
    ("sales1", "销售一组", "sales"),
    ("sales2", "销售二组", "sales"),
    ("service", "客服组", "service"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    department: str
    team: str | None = None
    leads_team: str | None = None
    heads_department: str | None = None


ADMIN = DemoUser("admin", "赵敏", "admin", "hq")
USERS = [
    ADMIN,
    DemoUser("lead1", "李娜", "lead", "sales", team="sales1", leads_team="sales1"),
    DemoUser("agent1", "张伟", "agent", "sales", team="sales1"),
    DemoUser("agent2", "王芳", "agent", "sales", team="sales1"),
    DemoUser("agent3", "刘洋", "agent", "sales", team="sales2"),
    DemoUser("head1", "陈静", "department_head", "sales", heads_department="sales"),
    DemoUser("qa1", "杨磊", "qa", "qa"),
    DemoUser("reviewer1", "黄丽", "order_reviewer", "orders"),
    DemoUser("logistics1", "周杰", "logistics", "logistics"),
    DemoUser("warehouse1", "吴刚", "warehouse", "warehouse"),
    DemoUser("finance1", "孙燕", "finance", "finance"),
]


def demo_password() -> str:
    return settings.HOTLINE["DEMO_PASSWORD"]


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(user name, full name, role, password) of every demo user."""
    password = demo_password()
    return [
        (u.username, u.full_name, f"{ROLES[u.role].name_en} ({ROLES[u.role].name})", password)
        for u in USERS
    ]


def format_logins() -> str:
    rows = [("User name", "Full name", "Role", "Password"), *demo_logins()]
    widths = [max(_width(row[i]) for row in rows) for i in range(4)]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class DemoBuilder:
    def __init__(self):
        self.created: list[str] = []
        self.departments: dict[str, Department] = {}
        self.teams: dict[str, Team] = {}
        self.users: dict[str, User] = {}

    @transaction.atomic
    def build(self) -> None:
        roles = roles_sync().roles
        admin = self._admin(roles["admin"])
        with acting_as(admin):
            for key, name, parent in DEPARTMENTS:
                self.departments[key] = self._department(admin, name, parent)
            for key, name, department in TEAMS:
                self.teams[key] = self._team(admin, name, self.departments[department])
            for spec in USERS:
                self.users[spec.username] = self._user(admin, spec, roles)
            for spec in USERS:
                self._lead_and_head(admin, spec)
            self._app_demos(admin)

    def _app_demos(self, admin: User) -> None:
        """Each app may add demo records of its own in ``<app>/demo.py``:
        ``load(builder, admin)`` returning descriptions of what it created."""
        for config in apps.get_app_configs():
            if not config.name.startswith("hotline."):
                continue
            module_name = f"{config.name}.demo"
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name != module_name:
                    raise
                continue
            self.created += module.load(self, admin)

    def _admin(self, role: Role) -> User:
        """The first administrator, made directly: there is nobody to act yet."""
        admin = User.objects.filter(username=ADMIN.username).first()
        if admin is None:
            admin = User(username=ADMIN.username, full_name=ADMIN.full_name)
            admin.set_password(demo_password())
            admin.save()
            self.created.append(f"user {admin.username}")
        if not admin.is_superuser and not admin.roles.filter(pk=role.pk).exists():
            admin.roles.add(role)
            admin.forget_permissions()
        return admin

    def _department(self, admin: User, name: str, parent_key: str | None) -> Department:
        parent = self.departments[parent_key] if parent_key else None
        found = Department.objects.filter(name=name, parent=parent).first()
        if found:
            return found
        self.created.append(f"department {name}")
        return services.department_create(actor=admin, name=name, parent=parent)

    def _team(self, admin: User, name: str, department: Department) -> Team:
        found = Team.objects.filter(name=name, department=department).first()
        if found:
            return found
        self.created.append(f"team {name}")
        return services.team_create(actor=admin, name=name, department=department)

    def _user(self, admin: User, spec: DemoUser, roles: dict[str, Role]) -> User:
        department = self.departments[spec.department]
        team = self.teams[spec.team] if spec.team else None
        found = User.objects.filter(username=spec.username).first()
        if found:
            if found.pk == admin.pk and found.department_id is None:
                services.user_update(actor=admin, user=found, department=department)
            return found
        self.created.append(f"user {spec.username}")
        return services.user_create(
            actor=admin,
            username=spec.username,
            password=demo_password(),
            roles=[roles[spec.role]],
            full_name=spec.full_name,
            department=department,
            team=team,
        )

    def _lead_and_head(self, admin: User, spec: DemoUser) -> None:
        user = self.users[spec.username]
        if spec.leads_team:
            team = self.teams[spec.leads_team]
            if team.lead_id is None:
                services.team_update(actor=admin, team=team, lead=user)
        if spec.heads_department:
            department = self.departments[spec.heads_department]
            if department.head_id is None:
                services.department_update(actor=admin, department=department, head=user)


class Command(BaseCommand):
    help = (
        "Create demo departments, teams and one user for every role, all with the "
        "password in HOTLINE_DEMO_PASSWORD. Safe to run again. Not for production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--list",
            dest="list_only",
            action="store_true",
            help="Only print the demo logins; change nothing.",
        )

    def handle(self, *args, list_only=False, **options):
        if not list_only:
            builder = DemoBuilder()
            try:
                builder.build()
            except InvalidData as exc:
                raise CommandError(f"Demo data not created: {exc}") from exc
            if options["verbosity"] > 0:
                count = len(builder.created)
                self.stdout.write(
                    self.style.SUCCESS(f"Demo data: {count} created.")
                    if count
                    else "Demo data: already in place."
                )
        if list_only or options["verbosity"] > 0:
            self.stdout.write(format_logins())
