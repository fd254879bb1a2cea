"""Writes around the recording catalogue and the voicemail inbox: which
calls are recorded (TEL-6 policy), marking a voicemail heard (TEL-5), and
exports of recordings, one file or a ZIP of many, written to the audit log."""

import re
import tempfile
import zipfile
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.accounts.audit import audit_record
from hotline.accounts.models import AuditEvent
from hotline.core.exceptions import InvalidData
from hotline.core.permissions import require_object_perm, require_perm
from hotline.telephony.models import Recording, RecordingPolicy, Voicemail
from hotline.telephony.selectors.records import (
    VIEW_RECORDING,
    recordings_accessible,
    require_recording_access,
)
from hotline.telephony.storage import recording_open

EXPORT_LIMIT = 500
# Files larger than this are spooled to disk while the ZIP is written.
_SPOOL_BYTES = 32 * 1024 * 1024


# --- recording policy (TEL-6) ---------------------------------------------


def _policy_of(source) -> str | None:
    if source is None:
        return None
    value = source if isinstance(source, str) else getattr(source, "recording", None)
    return value if value in RecordingPolicy.values else None


def recording_policy(*, extension, queue, campaign=None) -> str:
    """Whether a call is recorded: ``"always"``, ``"never"`` or ``"on_demand"``.

    Each of ``extension``, ``queue`` and ``campaign`` is a row with a
    ``recording`` field (``RecordingPolicy``), a policy value itself, or
    ``None`` when the call has none of it. They are combined so that privacy
    wins:

    ============================  ===========
    any of them says "never"      "never"
    else any says "always"        "always"
    else (on demand or nothing)   "on_demand"
    ============================  ===========

    "On demand" means the agent starts and stops the recording on the call.
    A pure function: it reads only its arguments.
    """
    policies = {_policy_of(source) for source in (extension, queue, campaign)}
    if RecordingPolicy.NEVER in policies:
        return RecordingPolicy.NEVER.value
    if RecordingPolicy.ALWAYS in policies:
        return RecordingPolicy.ALWAYS.value
    return RecordingPolicy.ON_DEMAND.value


# --- voicemail (TEL-5) ------------------------------------------------------


def voicemail_mark_heard(*, actor, voicemail: Voicemail, at: datetime | None = None) -> Voicemail:
    """Mark ``voicemail`` heard by ``actor``. The inbox is shared: the first
    one to hear it is kept, marking it again changes nothing."""
    require_object_perm(actor, voicemail, "view")
    if voicemail.heard_at is not None:
        return voicemail
    voicemail.heard_by = actor
    voicemail.heard_at = at or timezone.now()
    voicemail.save(update_fields=["heard_by", "heard_at"])
    return voicemail


# --- exports (TEL-6, audited: ADM-4) ----------------------------------------


def _safe(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z+_-]+", "_", str(text or "")).strip("_") or "x"


def recording_file_name(recording: Recording) -> str:
    """``20260105-091502-13800138000-4001-17.wav``: time, caller, called, id."""
    started = timezone.localtime(recording.started_at)
    call = recording.call
    suffix = recording.file.rsplit(".", 1)[-1] if "." in recording.file else "wav"
    return (
        f"{started:%Y%m%d-%H%M%S}-{_safe(call.caller)}-{_safe(call.called)}"
        f"-{recording.pk}.{_safe(suffix)}"
    )


def recording_log_download(*, actor, recording: Recording, request=None) -> None:
    """Write the download of one recording (a single export) to the audit log."""
    require_recording_access(actor)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=actor,
        request=request,
        object_repr=f"recording {recording.pk}",
        detail={"recordings": [recording.pk], "call": recording.call_id},
    )


def recordings_export(*, actor, ids, request=None):
    """A ZIP of the selected recordings that ``actor`` may play; ids outside
    their scope are left out (and not named). Returns ``(file name, file,
    count)`` with the file open at its start; the caller closes it.

    Refused when nothing selected is visible, or more than ``EXPORT_LIMIT``
    recordings are selected. Written to the audit log."""
    require_perm(actor, VIEW_RECORDING)
    wanted = sorted({int(pk) for pk in ids if str(pk).strip().isdigit()})
    if not wanted:
        raise InvalidData(
            _("Select the recordings to export."),
            details={"ids": [_("Select the recordings to export.")]},
        )
    if len(wanted) > EXPORT_LIMIT:
        message = _("Export at most %(limit)d recordings at a time.") % {"limit": EXPORT_LIMIT}
        raise InvalidData(message, details={"ids": [message]})
    recordings = list(
        recordings_accessible(actor)
        .filter(pk__in=wanted)
        .exclude(file="")
        .select_related("call")
        .order_by("started_at", "id")
    )
    if not recordings:
        message = _("None of the selected recordings can be exported.")
        raise InvalidData(message, details={"ids": [message]})
    archive = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
    exported, missing = [], []
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped:
        for recording in recordings:
            try:
                source = recording_open(recording.file)
            except FileNotFoundError:
                missing.append(recording.pk)
                continue
            with source, zipped.open(recording_file_name(recording), "w") as target:
                for chunk in source.chunks():
                    target.write(chunk)
            exported.append(recording.pk)
    if not exported:
        archive.close()
        message = _("The files of the selected recordings are missing.")
        raise InvalidData(message, details={"ids": [message]})
    archive.seek(0)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=actor,
        request=request,
        object_repr="recordings",
        detail={"recordings": exported, "count": len(exported), "missing": missing},
    )
    filename = f"recordings-{timezone.localtime():%Y%m%d-%H%M%S}.zip"
    return filename, archive, len(exported)
