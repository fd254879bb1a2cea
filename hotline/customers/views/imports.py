"""Customer import pages (upload, mapping with preview, progress, rejected
rows) and the export of a customer search to Excel."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from hotline.accounts.models import User
from hotline.core.exceptions import DomainError, InvalidData
from hotline.customers.models import ImportJob
from hotline.customers.selectors.customers import PLAIN_CRITERIA
from hotline.customers.selectors.imports import import_jobs_visible
from hotline.customers.services.exports import XLSX_CONTENT_TYPE, customer_export
from hotline.customers.services.imports import (
    import_mapping_suggest,
    import_preview,
    import_resume,
    import_start,
    import_targets,
    import_upload,
)
from hotline.web.views.common import paginate, require_view, show_domain_error

IMPORT_PERMISSION = "customers.import_customer"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            ".xlsx, .xls or .csv (UTF-8 or GBK); the first row holds the column names."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )


class MappingForm(forms.Form):
    """One choice per column of the file: the customer field it fills."""

    def __init__(self, *args, job: ImportJob, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = job.headers
        choices = [("", _("— skip —")), *import_targets()]
        for index, header in enumerate(job.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False
            )
        if actor.has_perm("customers.assign_customer"):
            self.fields["owner"] = forms.ModelChoiceField(
                label=_("Owner of new customers"),
                queryset=User.objects.restrict(actor, "view").filter(is_active=True)
                | User.objects.filter(pk=actor.pk),
                required=False,
                empty_label=_("Me"),
            )

    def mapping(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            header: data[f"col_{index}"]
            for index, header in enumerate(self.headers)
            if data.get(f"col_{index}")
        }

    def mapped_fields(self):
        return [self[f"col_{index}"] for index in range(len(self.headers))]


@never_cache
@login_required
def import_list(request):
    require_view(request.user, IMPORT_PERMISSION)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_upload(actor=request.user, file=upload, filename=upload.name)
        except DomainError as exc:
            show_domain_error(form, exc)
        else:
            return redirect("customers:import_detail", job.pk)
    context = {"form": form, "page": paginate(request, import_jobs_visible(request.user))}
    return render(request, "customers/imports/list.html", context)


def _initial(actor, job: ImportJob) -> tuple[dict, bool]:
    mapping, remembered = import_mapping_suggest(actor=actor, headers=job.headers)
    initial = {f"col_{i}": mapping.get(h, "") for i, h in enumerate(job.headers)}
    return initial, remembered


def _mapping_page(request, job: ImportJob):
    initial, remembered = _initial(request.user, job)
    form = MappingForm(request.POST or None, job=job, actor=request.user, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            if request.POST.get("action") == "start":
                owner = form.cleaned_data.get("owner")
                import_start(actor=request.user, job=job, mapping=form.mapping(), owner=owner)
                messages.success(request, _("The import has started."))
                return redirect("customers:import_detail", job.pk)
            preview = import_preview(actor=request.user, job=job, mapping=form.mapping())
        except DomainError as exc:
            show_domain_error(form, exc)
    elif request.method == "GET":
        try:
            mapping = _initial_mapping(job, initial)
            preview = import_preview(actor=request.user, job=job, mapping=mapping)
        except InvalidData:
            preview = None
    context = {"job": job, "form": form, "preview": preview, "remembered": remembered}
    return render(request, "customers/imports/detail.html", context)


def _initial_mapping(job: ImportJob, initial: dict) -> dict[str, str]:
    return {h: initial[f"col_{i}"] for i, h in enumerate(job.headers) if initial[f"col_{i}"]}


@never_cache
@login_required
def import_detail(request, pk: int):
    require_view(request.user, IMPORT_PERMISSION)
    job = get_object_or_404(import_jobs_visible(request.user), pk=pk)
    if job.status == ImportJob.Status.UPLOADED:
        return _mapping_page(request, job)
    if request.method == "POST" and request.POST.get("action") == "resume":
        try:
            import_resume(actor=request.user, job=job)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("customers:import_detail", job.pk)
    return render(request, "customers/imports/detail.html", {"job": job})


@never_cache
@login_required
def import_progress(request, pk: int):
    job = get_object_or_404(import_jobs_visible(request.user), pk=pk)
    return render(request, "customers/imports/_progress.html", {"job": job})


def _xlsx(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def import_rejects(request, pk: int):
    job = get_object_or_404(import_jobs_visible(request.user), pk=pk)
    if not job.rejects_file:
        return redirect("customers:import_detail", job.pk)
    with job.rejects_file.open("rb") as handle:
        return _xlsx(f"rejected-{job.pk}.xlsx", handle.read())


def export_criteria(query) -> dict:
    """The search criteria in a query string, as the customer list sends them:
    the plain ones, ``cf.<key>`` and ``cf.<key>.min`` / ``cf.<key>.max``."""
    criteria: dict = {}
    for key in query:
        value = query.get(key, "").strip()
        if not value:
            continue
        if key in PLAIN_CRITERIA:
            criteria[key] = value
        elif key.startswith("cf.") and key.endswith((".min", ".max")):
            criteria.setdefault(key[:-4], {})[key[-3:]] = value
        elif key.startswith("cf."):
            criteria[key] = value
    return criteria


@never_cache
@login_required
def export(request):
    require_view(request.user, "customers.export_customer")
    try:
        filename, content = customer_export(
            actor=request.user, criteria=export_criteria(request.GET)
        )
    except InvalidData as exc:
        messages.error(request, exc.message)
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
            back = reverse("customers:import_list")
        return redirect(back)
    return _xlsx(filename, content)


urlpatterns = [
    path("imports/", import_list, name="import_list"),
    path("imports/<int:pk>/", import_detail, name="import_detail"),
    path("imports/<int:pk>/progress/", import_progress, name="import_progress"),
    path("imports/<int:pk>/rejects/", import_rejects, name="import_rejects"),
    path("export/", export, name="export"),
]
