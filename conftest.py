"""Fixtures shared by the whole suite: the default roles, a user factory and a
small organisation to prove data scope on."""

from types import SimpleNamespace

import pytest

DEFAULT_PASSWORD = "pass-12345!"


@pytest.fixture
def roles(db):
    """The default roles from the catalogue, by code."""
    from hotline.accounts.roles import roles_sync

    return roles_sync().roles


@pytest.fixture
def make_user(db, request):
    """``make_user("ann", roles=["agent"], department=d, team=t)`` → a saved user.

    ``roles`` are codes of the default roles (or Role objects); other keyword
    arguments are user fields (``full_name``, ``is_superuser``, ``language`` …).
    """
    from hotline.accounts.models import Role, User

    def make(
        username: str,
        *,
        roles=(),
        department=None,
        team=None,
        password: str = DEFAULT_PASSWORD,
        **fields,
    ):
        if team is not None and department is None:
            department = team.department
        user = User(username=username, department=department, team=team, **fields)
        user.set_password(password)
        user.save()
        role_objects = [role for role in roles if isinstance(role, Role)]
        codes = [role for role in roles if not isinstance(role, Role)]
        if codes:
            by_code = request.getfixturevalue("roles")
            unknown = sorted(set(codes) - set(by_code))
            if unknown:
                raise LookupError(f"No default role with code {', '.join(unknown)}")
            role_objects += [by_code[code] for code in codes]
        if role_objects:
            user.roles.add(*role_objects)
        return user

    return make


def _department(name: str, parent=None):
    from hotline.accounts.models import Department
    from hotline.accounts.services import _refresh_subtree_paths

    department = Department.objects.create(name=name, parent=parent)
    _refresh_subtree_paths(department)
    return department


@pytest.fixture
def org(db, roles, make_user):
    """HQ → Sales → Sales-North and HQ → Service; team_a in Sales, team_b in
    Sales-North, team_c in Service; agents in each team, a lead of team_a,
    the head of Sales and an administrator. ``users`` lists all seven."""
    from hotline.accounts.models import Team

    hq = _department("HQ")
    sales = _department("Sales", hq)
    sales_north = _department("Sales-North", sales)
    service = _department("Service", hq)
    team_a = Team.objects.create(name="team_a", department=sales)
    team_b = Team.objects.create(name="team_b", department=sales_north)
    team_c = Team.objects.create(name="team_c", department=service)

    agent_a1 = make_user("agent_a1", roles=["agent"], team=team_a)
    agent_a2 = make_user("agent_a2", roles=["agent"], team=team_a)
    agent_b1 = make_user("agent_b1", roles=["agent"], team=team_b)
    agent_c1 = make_user("agent_c1", roles=["agent"], team=team_c)
    lead_a = make_user("lead_a", roles=["lead"], team=team_a)
    head_sales = make_user("head_sales", roles=["department_head"], department=sales)
    admin = make_user("admin", roles=["admin"], department=hq)

    team_a.lead = lead_a
    team_a.save()
    sales.head = head_sales
    sales.save()

    users = [agent_a1, agent_a2, agent_b1, agent_c1, lead_a, head_sales, admin]
    return SimpleNamespace(
        roles=roles,
        users=users,
        hq=hq,
        sales=sales,
        sales_north=sales_north,
        service=service,
        team_a=team_a,
        team_b=team_b,
        team_c=team_c,
        agent_a1=agent_a1,
        agent_a2=agent_a2,
        agent_b1=agent_b1,
        agent_c1=agent_c1,
        lead_a=lead_a,
        head_sales=head_sales,
        admin=admin,
        password=DEFAULT_PASSWORD,
    )


@pytest.fixture
def sample_org(org):
    """``org`` for tests on the sample model of the test settings: the default
    roles of agent, lead, department head and administrator already grant its
    view, add and change permissions (see ``hotline.accounts.roles``)."""
    for user in org.users:
        user.forget_permissions()
    return org


@pytest.fixture(autouse=True)
def _fresh_event_routes():
    """Owner routes are cached for a second; each test starts without them."""
    from hotline.core.events import forget_owner_routes

    forget_owner_routes()
