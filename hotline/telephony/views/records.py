"""Pages of the call records (TEL-11), the recording catalogue (TEL-6) and
the voicemail inbox (TEL-5): the CDR list and one call with its legs and
timeline, recording search with playback and ZIP export, the voicemail
inbox, and the audio endpoint with HTTP range requests (RFC 7233), which the
browser's ``<audio>`` player uses to seek."""

import logging
import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from hotline.core.exceptions import DomainError, InvalidData
from hotline.telephony.models import Call, Recording, Voicemail
from hotline.telephony.selectors import records as selectors
from hotline.telephony.services import records as services
from hotline.telephony.storage import recording_open
from hotline.web.views.common import paginate, render_list, require_view

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
DURATIONS = ("queue", "wait", "talk", "hold", "acw")


# --- query string helpers ----------------------------------------------------


def _date(raw) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def _with_durations(objects) -> list:
    """Each object gets ``shown``: its ``*_ms`` durations as ``m:ss``."""
    objects = list(objects)
    for obj in objects:
        obj.shown = {
            name: selectors.format_ms(getattr(obj, f"{name}_ms"))
            for name in DURATIONS
            if hasattr(obj, f"{name}_ms")
        }
        if hasattr(obj, "duration_ms"):
            obj.shown["duration"] = selectors.format_ms(obj.duration_ms)
        if hasattr(obj, "span_ms"):
            obj.shown["span"] = selectors.format_ms(obj.span_ms)
    return objects


def _back(request, default: str):
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if target and allowed else default)


# --- calls (CDR) -------------------------------------------------------------


@never_cache
@login_required
def call_list(request):
    require_view(request.user, selectors.VIEW_CALL)
    get = request.GET
    filters = {
        "date_from": _date(get.get("date_from")),
        "date_to": _date(get.get("date_to")),
        "number": get.get("number", "").strip(),
        "agent_id": _int(get.get("agent")),
        "queue_id": _int(get.get("queue")),
        "direction": get.get("direction", ""),
        "disposition": get.get("disposition", ""),
        "customer_id": _int(get.get("customer")),
    }
    page = paginate(request, selectors.call_list(actor=request.user, **filters))
    page.object_list = _with_durations(page.object_list)
    context = {
        "page": page,
        "filters": filters,
        "agents": selectors.agent_choices(request.user),
        "queues": selectors.queue_choices(request.user),
        "directions": Call.Direction.choices,
        "dispositions": [c for c in Call.Disposition.choices if c[0]],
    }
    return render_list(
        request, "telephony/records/call_list.html", "telephony/records/_calls.html", context
    )


@never_cache
@login_required
def call_detail(request, pk: int):
    require_view(request.user, selectors.VIEW_CALL)
    try:
        call = selectors.call_detail(actor=request.user, pk=pk)
    except Call.DoesNotExist:
        raise Http404(_("No such call.")) from None
    context = {
        "call": _with_durations([call])[0],
        "legs": _with_durations(call.legs.all()),
        "timeline": selectors.call_timeline(call),
        "flow_path": selectors.flow_path_steps(call),
        "recordings": _with_durations(selectors.call_recordings(actor=request.user, call=call)),
        "voicemail": selectors.call_voicemail(actor=request.user, call=call),
        "orders": selectors.call_orders(actor=request.user, call=call),
    }
    return render(request, "telephony/records/call_detail.html", context)


# --- recordings ----------------------------------------------------------------


@never_cache
@login_required
def recording_list(request):
    require_view(request.user, selectors.VIEW_RECORDING)
    get = request.GET
    filters = {
        "date_from": _date(get.get("date_from")),
        "date_to": _date(get.get("date_to")),
        "number": get.get("number", "").strip(),
        "agent_id": _int(get.get("agent")),
        "customer": get.get("customer", "").strip(),
        "customer_id": _int(get.get("customer_id")),
        "kind": get.get("kind", ""),
    }
    page = paginate(request, selectors.recording_list(actor=request.user, **filters))
    page.object_list = _with_durations(page.object_list)
    context = {
        "page": page,
        "filters": filters,
        "agents": selectors.agent_choices(request.user),
        "kinds": Recording.Kind.choices,
        "export_limit": services.EXPORT_LIMIT,
    }
    return render_list(
        request,
        "telephony/records/recording_list.html",
        "telephony/records/_recordings.html",
        context,
    )


class _Unsatisfiable(Exception):
    pass


_RANGE = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` bytes a ``Range`` header asks for, or
    None to send the whole file (no header, another unit, several ranges or a
    malformed one: RFC 7233 lets a server ignore those). Raises
    ``_Unsatisfiable`` for a range that lies outside the file."""
    header = (header or "").strip()
    if not header.lower().startswith("bytes="):
        return None
    spec = header[len("bytes=") :]
    match = _RANGE.fullmatch(spec)
    if "," in spec or not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # bytes=-n: the last n bytes
        length = int(last)
        if length == 0 or size == 0:
            raise _Unsatisfiable
        return max(0, size - length), size - 1
    first = int(first)
    if last and int(last) < first:
        return None
    if first >= size:
        raise _Unsatisfiable
    return first, min(int(last), size - 1) if last else size - 1


def _stream(source, start: int, length: int):
    try:
        source.seek(start)
        remaining = length
        while remaining > 0:
            data = source.read(min(CHUNK_BYTES, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        source.close()


def _audio_response(request, recording, source, *, download: bool):
    size = source.size
    etag = f'"rec-{recording.pk}-{size}"'
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        header = ""  # the file changed since the client's first part: send it whole
    try:
        wanted = byte_range(header, size)
    except _Unsatisfiable:
        source.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response, None
    first, last = wanted if wanted is not None else (0, size - 1)
    length = max(0, last - first + 1)
    response = StreamingHttpResponse(
        _stream(source, first, length),
        status=206 if wanted is not None else 200,
        content_type=recording.content_type or "audio/wav",
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-store"
    if wanted is not None:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    filename = services.recording_file_name(recording)
    response["Content-Disposition"] = content_disposition_header(download, filename)
    return response, first


@require_safe
@login_required
def recording_audio(request, pk: int):
    """The recording's file for the ``<audio>`` player (``inline``), or with
    ``?download=1`` as an attachment (a single export, audited)."""
    try:
        recording = selectors.recording_get(actor=request.user, pk=pk)
    except Recording.DoesNotExist:
        raise Http404(_("No such recording.")) from None
    try:
        source = recording_open(recording.file)
    except FileNotFoundError:
        logger.warning("Recording %s: file %r is missing", recording.pk, recording.file)
        raise Http404(_("The file of this recording is missing.")) from None
    download = request.GET.get("download") == "1"
    response, first = _audio_response(request, recording, source, download=download)
    if download and first == 0 and request.method == "GET":
        services.recording_log_download(actor=request.user, recording=recording, request=request)
    return response


@require_POST
@login_required
def recording_export(request):
    """A ZIP of the selected recordings (only those in the user's scope)."""
    require_view(request.user, selectors.VIEW_RECORDING)
    try:
        filename, archive, _count = services.recordings_export(
            actor=request.user, ids=request.POST.getlist("ids"), request=request
        )
    except InvalidData as exc:
        messages.error(request, exc.message)
        return _back(request, reverse("telephony:recording_list"))
    return FileResponse(
        archive, as_attachment=True, filename=filename, content_type="application/zip"
    )


# --- voicemail ---------------------------------------------------------------


@never_cache
@login_required
def voicemail_list(request):
    require_view(request.user, selectors.VIEW_VOICEMAIL)
    get = request.GET
    filters = {
        "unheard": get.get("unheard") == "1",
        "queue_id": _int(get.get("queue")),
        "date_from": _date(get.get("date_from")),
        "date_to": _date(get.get("date_to")),
    }
    page = paginate(request, selectors.voicemail_list(actor=request.user, **filters))
    page.object_list = list(page.object_list)
    for voicemail in page.object_list:
        recording = voicemail.recording
        voicemail.shown_duration = selectors.format_ms(recording.duration_ms if recording else None)
    context = {
        "page": page,
        "filters": filters,
        "queues": selectors.queue_choices(request.user),
        "unheard_count": selectors.voicemail_unheard_count(actor=request.user),
    }
    return render_list(
        request,
        "telephony/records/voicemail_list.html",
        "telephony/records/_voicemails.html",
        context,
    )


@require_POST
@login_required
def voicemail_heard(request, pk: int):
    require_view(request.user, selectors.VIEW_VOICEMAIL)
    try:
        voicemail = selectors.voicemail_get(actor=request.user, pk=pk)
    except Voicemail.DoesNotExist:
        raise Http404(_("No such voicemail.")) from None
    try:
        services.voicemail_mark_heard(actor=request.user, voicemail=voicemail)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Voicemail from %(caller)s marked as heard.") % {"caller": voicemail.caller}
        )
    return _back(request, reverse("telephony:voicemail_list"))


urlpatterns = [
    path("calls/", call_list, name="call_list"),
    path("calls/<int:pk>/", call_detail, name="call_detail"),
    path("recordings/", recording_list, name="recording_list"),
    path("recordings/export/", recording_export, name="recording_export"),
    path("recordings/<int:pk>/audio", recording_audio, name="recording_audio"),
    path("voicemail/", voicemail_list, name="voicemail_list"),
    path("voicemail/<int:pk>/heard/", voicemail_heard, name="voicemail_heard"),
]
