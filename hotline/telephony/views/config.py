"""The telephony configuration pages (/telephony/…): queues, agents,
extensions, skills, not-ready reasons, business hours, dialled numbers, SIP
trunks and IVR flows. Each area has a list, a create and an edit page and, where rows
may go, a delete action; the flows also have a detail page with an outline
and a structured node editor. Lists need the model's view permission, the
forms its add / change permission; the services check again."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.telephony import forms
from hotline.telephony.flows import FIELD_LABELS, NODE_TYPES, flow_node_settings, flow_outline
from hotline.telephony.models import (
    Agent,
    AgentSkill,
    BusinessHours,
    DialledNumber,
    Extension,
    IvrFlow,
    PauseReason,
    Queue,
    SipTrunk,
    Skill,
)
from hotline.telephony.services import config as services
from hotline.web.views.common import (
    delete_action,
    form_page,
    paginate,
    render_list,
    require_view,
)

TEMPLATES = "telephony/config/"


@dataclass(frozen=True)
class Area:
    """One kind of configuration row and how its pages save and delete it."""

    name: str  # URL names: <name>_list, <name>_create, <name>_edit, <name>_delete
    route: str  # URL path prefix
    model: type
    form: type
    save: Any  # (actor, row or None, form) -> row
    delete: Any  # (actor, row) -> None, or None when rows are not deleted here
    title: Promise  # the list's heading
    new: Promise  # heading of the create page
    saved: Promise  # "… “%(name)s” was saved."
    deleted: Promise
    paged: bool = False

    def perm(self, action: str) -> str:
        return f"telephony.{action}_{self.model._meta.model_name}"

    def rows(self, user):
        rows = self.model.objects.restrict(user, "view")
        return ROW_QUERIES.get(self.name, lambda qs: qs)(rows)


def _queue_save(actor, queue, form):
    with transaction.atomic():
        saved = services.queue_save(actor=actor, queue=queue, **form.service_kwargs())
        services.queue_members_set(actor=actor, queue=saved, agent_ids=form.member_ids())
    return saved


def _trunk_save(actor, trunk, form):
    if trunk is None:
        return services.trunk_create(actor=actor, **form.service_kwargs())
    return services.trunk_update(actor=actor, trunk=trunk, **form.service_kwargs())


AREAS = {
    area.name: area
    for area in (
        Area(
            "queue",
            "queues",
            Queue,
            forms.QueueForm,
            _queue_save,
            lambda actor, row: services.queue_delete(actor=actor, queue=row),
            gettext_lazy("Queues"),
            gettext_lazy("New queue"),
            gettext_lazy("Queue “%(name)s” was saved."),
            gettext_lazy("Queue “%(name)s” was deleted."),
        ),
        Area(
            "agent",
            "agents",
            Agent,
            forms.AgentForm,
            lambda actor, row, form: services.agent_save(
                actor=actor, agent=row, **form.service_kwargs()
            ),
            None,
            gettext_lazy("Agents"),
            gettext_lazy("New agent"),
            gettext_lazy("Agent “%(name)s” was saved."),
            gettext_lazy("Agent “%(name)s” was deleted."),
            paged=True,
        ),
        Area(
            "extension",
            "extensions",
            Extension,
            forms.ExtensionForm,
            lambda actor, row, form: services.extension_save(
                actor=actor, extension=row, **form.service_kwargs()
            ),
            lambda actor, row: services.extension_delete(actor=actor, extension=row),
            gettext_lazy("Extensions"),
            gettext_lazy("New extension"),
            gettext_lazy("Extension “%(name)s” was saved."),
            gettext_lazy("Extension “%(name)s” was deleted."),
            paged=True,
        ),
        Area(
            "skill",
            "skills",
            Skill,
            forms.SkillForm,
            lambda actor, row, form: services.skill_save(
                actor=actor, skill=row, **form.service_kwargs()
            ),
            lambda actor, row: services.skill_delete(actor=actor, skill=row),
            gettext_lazy("Skills"),
            gettext_lazy("New skill"),
            gettext_lazy("Skill “%(name)s” was saved."),
            gettext_lazy("Skill “%(name)s” was deleted."),
        ),
        Area(
            "pause_reason",
            "pause-reasons",
            PauseReason,
            forms.PauseReasonForm,
            lambda actor, row, form: services.pause_reason_save(
                actor=actor, reason=row, **form.service_kwargs()
            ),
            lambda actor, row: services.pause_reason_delete(actor=actor, reason=row),
            gettext_lazy("Not-ready reasons"),
            gettext_lazy("New not-ready reason"),
            gettext_lazy("Not-ready reason “%(name)s” was saved."),
            gettext_lazy("Not-ready reason “%(name)s” was deleted."),
        ),
        Area(
            "number",
            "numbers",
            DialledNumber,
            forms.DialledNumberForm,
            lambda actor, row, form: services.dialled_number_save(
                actor=actor, dialled_number=row, **form.service_kwargs()
            ),
            lambda actor, row: services.dialled_number_delete(actor=actor, dialled_number=row),
            gettext_lazy("Dialled numbers"),
            gettext_lazy("New dialled number"),
            gettext_lazy("Number “%(name)s” was saved."),
            gettext_lazy("Number “%(name)s” was deleted."),
        ),
        Area(
            "hours",
            "hours",
            BusinessHours,
            forms.BusinessHoursForm,
            lambda actor, row, form: services.business_hours_save(
                actor=actor, hours=row, **form.service_kwargs()
            ),
            lambda actor, row: services.business_hours_delete(actor=actor, hours=row),
            gettext_lazy("Business hours"),
            gettext_lazy("New business hours"),
            gettext_lazy("Business hours “%(name)s” were saved."),
            gettext_lazy("Business hours “%(name)s” were deleted."),
        ),
        Area(
            "trunk",
            "trunks",
            SipTrunk,
            forms.SipTrunkForm,
            _trunk_save,
            lambda actor, row: services.trunk_delete(actor=actor, trunk=row),
            gettext_lazy("SIP trunks"),
            gettext_lazy("New SIP trunk"),
            gettext_lazy("SIP trunk “%(name)s” was saved."),
            gettext_lazy("SIP trunk “%(name)s” was deleted."),
        ),
    )
}

ROW_QUERIES = {
    "queue": lambda qs: qs.select_related("skill", "overflow_queue").annotate(
        member_count=Count("memberships")
    ),
    "agent": lambda qs: qs.select_related("user", "default_extension").prefetch_related(
        Prefetch("skill_levels", queryset=AgentSkill.objects.select_related("skill"))
    ),
    "number": lambda qs: qs.select_related("flow"),
}


# --- the generic pages ----------------------------------------------------


def _list(area: Area):
    @never_cache
    @login_required
    def view(request):
        require_view(request.user, area.perm("view"))
        rows = area.rows(request.user)
        rows = paginate(request, rows) if area.paged else rows
        context = {"rows": rows, "page": rows if area.paged else None, "area": area}
        context |= {
            f"can_{action}": request.user.has_perm(area.perm(action))
            for action in ("add", "change", "delete")
        }
        context["can_delete"] = context["can_delete"] and area.delete is not None
        template = f"{TEMPLATES}{area.name}_list.html"
        partial = f"{TEMPLATES}_{area.name}_results.html" if area.paged else template
        return render_list(request, template, partial, context)

    return view


def _form(request, area: Area, row=None):
    return form_page(
        request,
        area.form(request.POST or None, instance=row),
        save=lambda form: area.save(request.user, row, form),
        saved_message=area.saved,
        success_url=f"telephony:{area.name}_list",
        template=f"{TEMPLATES}form.html",
        instance=row,
        context={
            "area": area,
            "list_url_name": f"telephony:{area.name}_list",
            "heading": _("Edit %(name)s") % {"name": row} if row is not None else area.new,
        },
    )


def _create(area: Area):
    @never_cache
    @login_required
    def view(request):
        require_view(request.user, area.perm("add"))
        return _form(request, area)

    return view


def _edit(area: Area):
    @never_cache
    @login_required
    def view(request, pk: int):
        require_view(request.user, area.perm("change"))
        return _form(request, area, get_object_or_404(area.rows(request.user), pk=pk))

    return view


def _delete(area: Area):
    @require_POST
    @login_required
    def view(request, pk: int):
        row = get_object_or_404(area.rows(request.user), pk=pk)
        return delete_action(
            request,
            row,
            delete=lambda: area.delete(request.user, row),
            deleted_message=area.deleted,
            success_url=f"telephony:{area.name}_list",
        )

    return view


def _area_patterns(area: Area) -> list:
    patterns = [
        path(f"{area.route}/", _list(area), name=f"{area.name}_list"),
        path(f"{area.route}/new/", _create(area), name=f"{area.name}_create"),
        path(f"{area.route}/<int:pk>/edit/", _edit(area), name=f"{area.name}_edit"),
    ]
    if area.delete is not None:
        patterns.append(
            path(f"{area.route}/<int:pk>/delete/", _delete(area), name=f"{area.name}_delete")
        )
    return patterns


# --- IVR flows ------------------------------------------------------------


def _flows(user):
    return IvrFlow.objects.restrict(user, "view").annotate(number_count=Count("numbers"))


@never_cache
@login_required
def flow_list(request):
    require_view(request.user, "telephony.view_ivrflow")
    return render(request, f"{TEMPLATES}flow_list.html", {"flows": _flows(request.user)})


def _outline(flow: IvrFlow) -> list[dict]:
    queues = dict(Queue.objects.values_list("code", "name"))
    hours = dict(BusinessHours.objects.values_list("pk", "name"))
    rows = flow_outline(flow.start, flow.nodes or {})
    for row in rows:
        node = row["node"] if isinstance(row["node"], dict) else {}
        kind = NODE_TYPES.get(node.get("type"))
        row["type_label"] = kind.label if kind else node.get("type", "")
        row["settings"] = flow_node_settings(node)
        row["via_label"] = FIELD_LABELS.get(row["via"], row["via"])
        row["queue_name"] = queues.get(node.get("queue"), "")
        row["hours_name"] = hours.get(node.get("hours"), "")
        row["indent"] = min(row["depth"], 8)
    return rows


@never_cache
@login_required
def flow_detail(request, pk: int):
    require_view(request.user, "telephony.view_ivrflow")
    flow = get_object_or_404(_flows(request.user), pk=pk)
    context = {"flow": flow, "outline": _outline(flow), "numbers": flow.numbers.all()}
    return render(request, f"{TEMPLATES}flow_detail.html", context)


def _flow_editor(request, flow=None):
    editor = forms.FlowEditor(request.POST if request.method == "POST" else None, flow=flow)
    if request.method == "POST" and "add_rows" not in request.POST:
        saved = editor.save(actor=request.user)
        if saved is not None:
            messages.success(request, _("IVR flow “%(name)s” was saved.") % {"name": saved})
            return redirect("telephony:flow_detail", pk=saved.pk)
    context = {"editor": editor, "form": editor.form, "rows": editor.table(), "object": flow}
    return render(request, f"{TEMPLATES}flow_form.html", context)


@never_cache
@login_required
def flow_create(request):
    require_view(request.user, "telephony.add_ivrflow")
    return _flow_editor(request)


@never_cache
@login_required
def flow_edit(request, pk: int):
    require_view(request.user, "telephony.change_ivrflow")
    return _flow_editor(request, get_object_or_404(_flows(request.user), pk=pk))


@require_POST
@login_required
def flow_delete(request, pk: int):
    flow = get_object_or_404(_flows(request.user), pk=pk)
    return delete_action(
        request,
        flow,
        delete=lambda: services.flow_delete(actor=request.user, flow=flow),
        deleted_message=_("IVR flow “%(name)s” was deleted."),
        success_url="telephony:flow_list",
    )


urlpatterns = [
    *[pattern for area in AREAS.values() for pattern in _area_patterns(area)],
    path("flows/", flow_list, name="flow_list"),
    path("flows/new/", flow_create, name="flow_create"),
    path("flows/<int:pk>/", flow_detail, name="flow_detail"),
    path("flows/<int:pk>/edit/", flow_edit, name="flow_edit"),
    path("flows/<int:pk>/delete/", flow_delete, name="flow_delete"),
]
