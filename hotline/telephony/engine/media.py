"""Recordings by policy (TEL-6), voicemail (TEL-5) and the callbacks that
missed calls leave behind (CB-1)."""

import logging

from hotline.telephony.models import Call, CallLeg, Recording, RecordingPolicy, Voicemail
from hotline.telephony.services.records import recording_policy

logger = logging.getLogger(__name__)
S = Call.State
D = Call.Disposition
VOICEMAIL_TEXT = "Please leave your message after the tone, then hang up."


class MediaMixin:
    def recording_by_policy(self, call, agent, queue) -> None:
        if (
            recording_policy(extension=agent.recording, queue=queue.recording if queue else None)
            == RecordingPolicy.ALWAYS
        ):
            self.recording_start(call)

    def recording_start(self, call) -> None:
        if not call.recording:
            self.switch.record_start(call.customer_leg)
            call.recording, call.recording_ms = True, self.clock.now_ms

    def recording_finish(self, call):
        if not call.recording:
            return None
        call.recording = False
        audio = self.switch.record_stop(call.customer_leg)
        return (audio, call.recording_ms) if audio is not None else None

    def recording_save(self, call, recorded) -> None:
        from hotline.telephony.storage import recording_store

        audio, started_ms = recorded
        voicemail = getattr(call, "voicemail", False)
        name_hint = f"{call.id}-{'vm' if voicemail else 'call'}"
        if audio.path is not None:
            name, size = recording_store(source_path=audio.path, name_hint=name_hint)
            audio.path.unlink(missing_ok=True)
        else:
            name, size = recording_store(content=audio.content, name_hint=name_hint)
        self.writes.flush()  # the leg's row, which the recording points at
        leg_switch_id = call.customer_leg or ""
        recording = Recording.objects.create(
            call_id=call.id,
            leg=CallLeg.objects.filter(switch_id=leg_switch_id).first(),
            agent_id=None if voicemail else call.agent_id,
            customer_id=call.customer_id,
            kind=Recording.Kind.VOICEMAIL if voicemail else Recording.Kind.CALL,
            file=name,
            size=size,
            content_type=audio.content_type,
            started_at=self.clock.at(started_ms),
            duration_ms=audio.duration_ms,
        )
        if voicemail:
            Voicemail.objects.create(
                call_id=call.id,
                caller=call.caller,
                customer_id=call.customer_id,
                queue_id=call.queue_id,
                recording=recording,
                created_at=self.clock.at(started_ms),
            )

    def voicemail_start(
        self, call, *, queue_id=None, text: str = "", audio: str = "", max_seconds: int = 120
    ):
        self.queue_leave(call)
        self.cancel_call_timers(call)
        call.queue_id = queue_id or call.queue_id
        call.voicemail = True
        self.call_to(call, S.VOICEMAIL, "", queue_id=call.queue_id)

        def begin() -> None:
            self.recording_start(call)
            call.limit_timer = self.clock.call_later(
                max_seconds * 1000, self._voicemail_limit, call.id
            )

        self.say(call, text=text or ("" if audio else VOICEMAIL_TEXT), audio=audio, then=begin)

    def _voicemail_limit(self, call_id: int) -> None:
        call = self.calls.get(call_id)
        if call is not None and call.state == S.VOICEMAIL:
            call.limit_timer = None
            self.call_end(call, D.VOICEMAIL, side="system", cause="voicemail_limit")

    def voicemail_finish(self, call, *, side: str) -> None:
        left_message = call.recording
        self.call_end(call, D.VOICEMAIL if left_message else D.ABANDONED, side=side, cause="normal")

    def callback_kind(self, call, disposition: str) -> str | None:
        if call.direction != Call.Direction.INBOUND:
            return None
        if disposition == D.ABANDONED:
            return (
                "no_answer"
                if call.rang_unanswered
                else ("off_hours" if call.closed_hours else "abandoned")
            )
        if disposition == D.VOICEMAIL:
            return "voicemail"
        if disposition == D.OVERFLOW_HANGUP:
            return "abandoned"
        if disposition == D.LOST and call.first_queued_ms is not None:
            return "lost"
        if disposition == D.IVR_HANGUP and call.closed_hours:
            return "off_hours"
        return None

    def callback_for(self, call, disposition: str) -> None:
        kind = self.callback_kind(call, disposition)
        if kind is None:
            return
        from hotline.callbacks.services.callbacks import callback_create_for_call
        from hotline.telephony.models import Agent

        # The call as it is now (its row may still wait for the step's writes).
        row = Call(
            pk=call.id,
            caller=call.caller,
            customer_id=call.customer_id,
            queue_id=call.queue_id,
            priority=call.priority,
            direction=call.direction,
        )
        last_user = None
        if self.last_agent(call):
            last_user = Agent.objects.select_related("user").get(pk=call.last_agent_id).user
        callback_create_for_call(
            call=row, kind=kind, number=call.caller, last_agent=last_user, at=self.clock.now()
        )
