from django.contrib.auth.models import Permission
from django.db.models import Q

from hotline.accounts.models import ApiToken, AuditEvent, Department, Role, Team, User

# Django's own apps whose permissions mean nothing to a Hotline role.
INTERNAL_APPS = {
    "admin",
    "auth",
    "contenttypes",
    "sessions",
    "django_tasks",
    "django_tasks_db",
    "django_tasks_database",
}


def user_list(*, actor: User, search: str = "", department_id: int | None = None):
    users = (
        User.objects.restrict(actor, "view")
        .select_related("department", "team")
        .prefetch_related("roles")
    )
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(full_name__icontains=search)
            | Q(email__icontains=search)
            | Q(extension=search)
        )
    if department_id:
        department = Department.objects.filter(pk=department_id).first()
        ids = department.subtree().values("pk") if department else []
        users = users.filter(department_id__in=ids)
    return users


def department_tree(*, actor: User):
    return Department.objects.restrict(actor, "view").select_related("head", "parent")


def team_list(*, actor: User):
    return Team.objects.restrict(actor, "view").select_related("department", "lead")


def role_list(*, actor: User):
    return Role.objects.restrict(actor, "view").prefetch_related("permissions")


def api_token_list(*, actor: User, user: User | None = None):
    """The actor's own tokens, or another user's when the scope allows it."""
    owner = user or actor
    if owner.pk == actor.pk:
        return ApiToken.objects.filter(user=actor)
    return ApiToken.objects.restrict(actor, "view").filter(user=owner)


def audit_event_list(*, actor: User, action: str = "", username: str = ""):
    events = AuditEvent.objects.restrict(actor, "view").select_related("actor")
    if action:
        events = events.filter(action=action)
    if username:
        events = events.filter(username__icontains=username.strip().lower())
    return events


def menu_permissions(user: User) -> set[str]:
    return set(user.get_all_permissions()) if user.is_authenticated else set()


def assignable_permissions():
    """Permissions a role may grant: those of Hotline's apps, not Django's internals."""
    return (
        Permission.objects.select_related("content_type")
        .exclude(content_type__app_label__in=INTERNAL_APPS)
        .order_by("content_type__app_label", "content_type__model", "codename")
    )
