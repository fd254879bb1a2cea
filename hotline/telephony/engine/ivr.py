"""The IVR interpreter (TEL-4): walks a caller through the nodes of a flow
(format and checks in ``hotline.telephony.flows``)."""

import logging

from hotline.telephony.models import BusinessHours, Call

logger = logging.getLogger(__name__)
S = Call.State
D = Call.Disposition
REJECT_TEXT = "Sorry, we cannot take your call. Goodbye."
NO_SERVICE_TEXT = "The number you dialled is not in service. Goodbye."


class IvrMixin:
    def inbound_answered(self, call) -> None:
        if call.refused:
            self.say_then_end(call, REJECT_TEXT, D.REJECTED, cause="blacklisted")
        elif call.flow is None:
            self.say_then_end(call, NO_SERVICE_TEXT, D.IVR_HANGUP, cause="no_route")
        else:
            self.call_to(call, S.IVR, call.flow["start"])
            self.ivr_enter(call, call.flow["start"])

    def say(self, call, *, text: str = "", audio: str = "", then) -> None:
        call.playback = f"p{call.id}-{len(call.path)}-{len(call.timeline)}"
        call.on_played = then
        self.switch.play(call.customer_leg, playback_id=call.playback, text=text, audio=audio)

    def say_node(self, call, node: dict, then) -> None:
        if node.get("text") or node.get("audio"):
            self.say(call, text=node.get("text", ""), audio=node.get("audio", ""), then=then)
        else:
            then()

    def say_then_end(self, call, text: str, disposition: str, *, cause: str) -> None:
        def finish():
            self.call_end(call, disposition, side="system", cause=cause)

        if text:
            self.say(call, text=text, then=finish)
        else:
            finish()

    def ivr_enter(self, call, node_id: str) -> None:
        node = (call.flow or {}).get("nodes", {}).get(node_id)
        if node is None:
            logger.warning("Call %s: flow has no node %r", call.id, node_id)
            self.call_end(call, D.IVR_HANGUP, side="system", cause="flow_error")
            return
        call.node_id = node_id
        call.path.append(node_id)
        getattr(self, f"_node_{node['type']}")(call, node)

    def _goto(self, call, node_id):
        return lambda: self.ivr_enter(call, node_id)

    def _node_play(self, call, node: dict) -> None:
        self.say_node(call, node, self._goto(call, node["next"]))

    def _collect(self, call, node: dict, *, max_digits: int, choices=(), handler) -> None:
        call.on_digits = handler
        self.switch.collect(
            call.customer_leg,
            text=node.get("text", ""),
            audio=node.get("audio", ""),
            max_digits=max_digits,
            timeout_ms=int(node.get("timeout", 5)) * 1000,
            terminator=node.get("terminator", ""),
            choices=tuple(choices),
        )

    def _node_menu(self, call, node: dict) -> None:
        call.tries = 0
        self._menu_ask(call, node)

    def _menu_ask(self, call, node: dict) -> None:
        choices = node["choices"]

        def chosen(digits: str) -> None:
            if digits in choices:
                self.ivr_enter(call, choices[digits])
                return
            call.tries += 1
            if call.tries > int(node.get("retries", 2)):
                self.ivr_enter(call, node["invalid"])
            else:
                self._menu_ask(call, node)

        self._collect(call, node, max_digits=1, choices=sorted(choices), handler=chosen)

    def _node_collect(self, call, node: dict) -> None:
        def collected(digits: str) -> None:
            call.vars[node["var"]] = digits
            self.ivr_enter(call, node["next"])

        self._collect(call, node, max_digits=int(node.get("max_digits", 10)), handler=collected)

    def _node_lookup(self, call, node: dict) -> None:
        from hotline.telephony.flows import LOOKUPS

        lookup = LOOKUPS.get(node["source"])
        answer = lookup.fn(call.vars.get(node["var"], ""), call=call) if lookup else None
        if answer:
            self.say(call, text=answer, then=self._goto(call, node["found"]))
        else:
            self.ivr_enter(call, node["not_found"])

    def _node_hours(self, call, node: dict) -> None:
        from hotline.telephony.hours import hours_open

        hours = BusinessHours.objects.filter(pk=node["hours"]).first()
        is_open = hours is not None and hours_open(hours, self.clock.now())
        call.closed_hours = call.closed_hours or not is_open
        self.ivr_enter(call, node["open"] if is_open else node["closed"])

    def _node_queue(self, call, node: dict) -> None:
        self.enqueue(call, self.queue_codes.get(node["queue"]))

    def _node_transfer(self, call, node: dict) -> None:
        self.transfer_out(call, node["number"])

    def _node_voicemail(self, call, node: dict) -> None:
        queue_id = self.queue_codes.get(node.get("queue") or "")
        self.voicemail_start(
            call,
            queue_id=queue_id,
            text=node.get("text", ""),
            audio=node.get("audio", ""),
            max_seconds=int(node.get("max_seconds", 120)),
        )

    def _node_survey(self, call, node: dict) -> None:
        low, high = int(node.get("min", 1)), int(node.get("max", 5))

        def scored(digits: str) -> None:
            if digits.isdigit() and low <= int(digits) <= high:
                self.writes.call_update(call.id, survey_score=int(digits))
            self.ivr_enter(call, node["next"])

        choices = [str(n) for n in range(low, high + 1) if n < 10]
        self._collect(call, node, max_digits=1, choices=choices, handler=scored)

    def _node_hangup(self, call, node: dict) -> None:
        disposition = D.IVR_HANGUP
        self.say_then_end(call, node.get("text", ""), disposition, cause="normal")
