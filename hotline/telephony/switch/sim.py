"""The `sim` driver: an in-process switch on the engine's clock, with
simulated callers and phones whose behaviour is drawn from a seeded random
generator. The same seed and the same inputs give the same run, bit for bit:
every outcome is drawn in event order and every event is delivered through
the clock, never from inside an engine call.

Callers follow a ``CallerProfile`` (digits to press, patience while waiting
in a queue, talk time, voicemail length). Agents' phones follow a
``PhoneProfile``: a simulated phone answers by itself after a ring, a
person's phone rings until the engine is told it was answered.
"""

import itertools
import random
from dataclasses import dataclass, field

from hotline.telephony.switch import (
    DigitsCollected,
    LegAnswered,
    LegCreated,
    LegHungUp,
    LegRinging,
    PlaybackDone,
    RecordedAudio,
)

EVENT_DELAY_MS = 50
RECORDING_SAMPLE_SECONDS = 2.0  # the stored file of a simulated recording is a short sample


def speech_ms(text: str) -> int:
    """How long a prompt takes to say: about 6 characters a second."""
    return 500 + 160 * len(text or "")


@dataclass
class CallerProfile:
    digits: list[str] = field(
        default_factory=list
    )  # answers to successive prompts; "" = says nothing
    patience_ms: int = 60_000  # how long they wait in a queue before hanging up
    talk_ms: int = 60_000  # how long they talk once connected
    voicemail_ms: int = 15_000
    answer_ms: int = 4_000  # outbound: ring time before answering
    answers: bool = True  # outbound: picks up at all
    machine: bool = False  # outbound: an answering machine picks up


@dataclass
class PhoneProfile:
    auto_answer: bool = True
    answer_ms: int = 3_000
    answer_probability: float = 1.0


@dataclass
class TrafficProfile:
    """Distributions of simulated callers (seconds)."""

    mean_patience: float = 90.0
    mean_talk: float = 60.0
    min_talk: float = 5.0
    mean_voicemail: float = 20.0
    invalid_digit_share: float = 0.05
    silent_share: float = 0.03
    outbound_answer_share: float = 0.6
    outbound_machine_share: float = 0.1


@dataclass
class SimLeg:
    id: str
    remote: str
    inbound: bool
    profile: CallerProfile | None = None
    phone: PhoneProfile | None = None
    up: bool = False
    down: bool = False
    bridged: str | None = None
    held: bool = False
    prompts: int = 0
    record_from: int | None = None
    record_until: int | None = None
    timers: dict = field(default_factory=dict)
    muted: bool = False
    dtmf_sent: str = ""
    monitoring: str = ""  # listen, whisper or barge (a supervisor's leg)
    conference: list = field(default_factory=list)


class SimSwitch:
    def __init__(
        self, *, clock, seed: int = 1, traffic: TrafficProfile | None = None, run: str = ""
    ):
        self.clock = clock
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, repeatable by its seed
        self.traffic = traffic or TrafficProfile()
        self.legs: dict[str, SimLeg] = {}
        self.phones: dict[str, PhoneProfile] = {}
        self.outbound: dict[str, CallerProfile] = {}
        self._listener = None
        self._ids = itertools.count(1)
        # Leg ids of this run: a switch that starts again must not reuse the
        # ids of legs already on record.
        self.run = f"-{run}" if run else ""
        self.prompts: list[tuple[str, str]] = []  # (leg, text or audio) of every prompt played

    # --- what tests, the demo and benchmarks do to the simulated world ---

    def set_listener(self, listener) -> None:
        self._listener = listener

    def register_phone(self, extension: str, profile: PhoneProfile) -> None:
        self.phones[extension] = profile

    def expect_outbound(self, number: str, profile: CallerProfile) -> None:
        self.outbound[number] = profile

    def inbound(self, *, caller: str, called: str, profile: CallerProfile | None = None) -> str:
        leg = SimLeg(id=f"sim{self.run}-in-{next(self._ids)}", remote=caller, inbound=True)
        leg.profile = profile or self.random_caller()
        self.legs[leg.id] = leg
        self._emit(LegCreated(leg.id, caller=caller, called=called), 0)
        return leg.id

    def caller_hangup(self, leg_id: str) -> None:
        self._remote_hangup(leg_id, "normal")

    def phone_answer(self, leg_id: str) -> None:
        """A person picks up the phone that rings on ``leg_id``."""
        leg = self.legs.get(leg_id)
        if leg and not leg.down and not leg.up:
            self.clock.call_later(0, self._answered, leg, "human")

    def random_caller(self) -> CallerProfile:
        t, rng = self.traffic, self.rng
        return CallerProfile(
            patience_ms=round(rng.expovariate(1 / t.mean_patience) * 1000),
            talk_ms=round(
                (t.min_talk + rng.expovariate(1 / max(t.mean_talk - t.min_talk, 1))) * 1000
            ),
            voicemail_ms=round(rng.uniform(0.5, 1.5) * t.mean_voicemail * 1000),
        )

    # --- the Switch protocol ---

    def originate(self, *, leg_id: str, to: str, caller_id: str) -> None:
        leg = SimLeg(id=leg_id, remote=to, inbound=False)
        self.legs[leg_id] = leg
        leg.phone = self.phones.get(to)
        if leg.phone is None:
            leg.profile = self.outbound.pop(to, None) or self._random_callee()
        self._emit(LegRinging(leg_id), 100)
        if leg.phone is not None:
            self._phone_rings(leg)
        elif leg.profile.answers:
            by = "machine" if leg.profile.machine else "human"
            leg.timers["ring"] = self.clock.call_later(
                leg.profile.answer_ms, self._answered, leg, by
            )
        else:
            leg.timers["ring"] = self.clock.call_later(
                60_000, self._remote_hangup, leg.id, "no_answer"
            )

    def answer(self, leg_id: str) -> None:
        leg = self.legs[leg_id]
        if leg.inbound:
            self.clock.call_later(0, self._answered, leg, "human")
        else:
            self.phone_answer(leg_id)

    def play(
        self, leg_id: str, *, playback_id: str, text: str = "", audio: str = "", loop: bool = False
    ) -> None:
        leg = self._live(leg_id)
        if leg is None:
            return
        self._cancel(leg, "play")
        self.prompts.append((leg_id, text or audio))
        if loop:
            self._start_patience(leg)
            return
        duration = speech_ms(text) if text else 3_000
        leg.timers["play"] = self.clock.call_later(
            duration, self._emit_now, PlaybackDone(leg_id, playback_id)
        )

    def stop_playback(self, leg_id: str) -> None:
        leg = self.legs.get(leg_id)
        if leg:
            self._cancel(leg, "play")

    def collect(
        self, leg_id, *, text="", audio="", max_digits=1, timeout_ms=5000, terminator="", choices=()
    ):
        leg = self._live(leg_id)
        if leg is None:
            return
        prompt_ms = speech_ms(text) if text else (3_000 if audio else 0)
        self.prompts.append((leg_id, text or audio))
        digits = self._caller_digits(leg, max_digits, choices)
        if digits:
            reason = "max" if len(digits) >= max_digits else "terminator"
            delay = prompt_ms + 700 * len(digits)
        else:
            reason, delay = "timeout", prompt_ms + timeout_ms
        leg.timers["collect"] = self.clock.call_later(
            delay, self._emit_now, DigitsCollected(leg_id, digits=digits, reason=reason)
        )

    def record_start(self, leg_id: str) -> None:
        leg = self._live(leg_id)
        if leg is None:
            return
        leg.record_from, leg.record_until = self.clock.now_ms, None
        if (
            leg.bridged is None and leg.profile is not None
        ):  # a voicemail: the caller speaks, then hangs up
            leg.timers["speak"] = self.clock.call_later(
                leg.profile.voicemail_ms, self._remote_hangup, leg.id, "normal"
            )

    def record_stop(self, leg_id: str) -> RecordedAudio | None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.record_from is None:
            return None
        until = leg.record_until if leg.record_until is not None else self.clock.now_ms
        duration = until - leg.record_from
        leg.record_from = leg.record_until = None
        if leg.down:
            self.legs.pop(leg_id, None)
        from hotline.telephony.storage import simulated_wav

        label = f"{leg.remote}, {duration / 1000:.1f} s"
        content = simulated_wav(min(RECORDING_SAMPLE_SECONDS, duration / 1000), label=label)
        return RecordedAudio(content=content, duration_ms=duration)

    def bridge(self, leg_a: str, leg_b: str) -> None:
        a, b = self._live(leg_a), self._live(leg_b)
        if a is None or b is None:
            return
        a.bridged, b.bridged = b.id, a.id
        for leg in (a, b):
            self._cancel(leg, "play", "patience")
            if leg.profile is not None and "talk" not in leg.timers:
                leg.timers["talk"] = self.clock.call_later(
                    leg.profile.talk_ms, self._remote_hangup, leg.id, "normal"
                )

    def hold(self, leg_id: str) -> None:
        leg = self._live(leg_id)
        if leg is not None:
            leg.held = True

    def unhold(self, leg_id: str) -> None:
        leg = self._live(leg_id)
        if leg is not None:
            leg.held = False

    def monitor(self, leg_id: str, *, supervisor_leg_id: str, mode: str) -> None:
        supervisor = self._live(supervisor_leg_id)
        if supervisor is not None:
            supervisor.bridged, supervisor.monitoring = leg_id, mode

    def conference(self, leg_ids: list[str]) -> None:
        legs = [self._live(leg_id) for leg_id in leg_ids]
        for leg in legs:
            if leg is not None:
                leg.held = False
                self._cancel(leg, "play", "patience")
                leg.conference = [
                    other.id for other in legs if other is not None and other is not leg
                ]

    def mute(self, leg_id: str, *, on: bool) -> None:
        leg = self._live(leg_id)
        if leg is not None:
            leg.muted = on

    def send_dtmf(self, leg_id: str, *, digits: str) -> None:
        leg = self._live(leg_id)
        if leg is not None:
            leg.dtmf_sent += digits

    def hangup(self, leg_id: str, *, cause: str = "normal") -> None:
        leg = self._live(leg_id)
        if leg is not None:
            self._end(leg)
            self._emit(LegHungUp(leg_id, cause=cause, side="local"), 0)

    # --- inside the simulation ---

    def _random_callee(self) -> CallerProfile:
        t, rng = self.traffic, self.rng
        roll = rng.random()
        return CallerProfile(
            answers=roll < t.outbound_answer_share,
            machine=roll < t.outbound_answer_share * t.outbound_machine_share,
            answer_ms=round(rng.uniform(3, 20) * 1000),
            talk_ms=round(
                (t.min_talk + rng.expovariate(1 / max(t.mean_talk - t.min_talk, 1))) * 1000
            ),
        )

    def _caller_digits(self, leg: SimLeg, max_digits: int, choices) -> str:
        profile = leg.profile
        if profile is None:
            return ""
        index, leg.prompts = leg.prompts, leg.prompts + 1
        if index < len(profile.digits):
            return profile.digits[index][:max_digits]
        roll = self.rng.random()
        if roll < self.traffic.silent_share:
            return ""
        if choices and roll > 1 - self.traffic.invalid_digit_share:
            return next((d for d in "0123456789*#" if d not in choices), "")
        if choices:
            return self.rng.choice(sorted(choices))
        return "".join(self.rng.choice("0123456789") for _ in range(max_digits))

    def _phone_rings(self, leg: SimLeg) -> None:
        phone = leg.phone
        if not phone.auto_answer:
            return
        if phone.answer_probability >= 1 or self.rng.random() < phone.answer_probability:
            leg.timers["ring"] = self.clock.call_later(
                phone.answer_ms, self._answered, leg, "human"
            )

    def _answered(self, leg: SimLeg, by: str) -> None:
        if leg.down or leg.up:
            return
        self._cancel(leg, "ring")
        leg.up = True
        self._emit_now(LegAnswered(leg.id, answered_by=by))

    def _start_patience(self, leg: SimLeg) -> None:
        if leg.profile is not None and "patience" not in leg.timers and leg.bridged is None:
            leg.timers["patience"] = self.clock.call_later(
                leg.profile.patience_ms, self._remote_hangup, leg.id, "normal"
            )

    def _remote_hangup(self, leg_id: str, cause: str) -> None:
        leg = self._live(leg_id)
        if leg is not None:
            self._end(leg)
            self._emit_now(LegHungUp(leg_id, cause=cause, side="remote"))

    def _end(self, leg: SimLeg) -> None:
        leg.down = True
        if leg.record_from is not None and leg.record_until is None:
            leg.record_until = self.clock.now_ms
        self._cancel(leg, *list(leg.timers))
        if leg.bridged and leg.bridged in self.legs:
            other = self.legs[leg.bridged]
            other.bridged = None
        if leg.record_from is None:
            self.legs.pop(leg.id, None)

    def _live(self, leg_id: str) -> SimLeg | None:
        leg = self.legs.get(leg_id)
        return None if leg is None or leg.down else leg

    def _cancel(self, leg: SimLeg, *names: str) -> None:
        for name in names:
            timer = leg.timers.pop(name, None)
            if timer is not None:
                timer.cancel()

    def _emit(self, event, delay_ms: int) -> None:
        self.clock.call_later(delay_ms, self._emit_now, event)

    def _emit_now(self, event) -> None:
        if self._listener is not None:
            self._listener(event)


class SimTraffic:
    """A stream of simulated inbound calls: Poisson arrivals at ``per_hour``,
    callers drawn from ``callers`` (known customers' numbers and others)."""

    def __init__(
        self, *, switch: SimSwitch, called: str, callers: list[str], per_hour: float, seed: int = 1
    ):
        self.switch, self.called, self.callers = switch, called, list(callers)
        self.per_hour = per_hour
        self.rng = random.Random(seed)  # noqa: S311 - a simulation, repeatable by its seed
        self.placed = 0
        self._timer = None
        self._limit: int | None = None

    def start(self, *, limit: int | None = None) -> None:
        self._limit = limit
        if self.per_hour > 0:
            self._schedule()

    def soon(self, delay_ms: int, *, called: str | None = None) -> None:
        """One more call in ``delay_ms``, besides the stream (to ``called``,
        by default the stream's number), from a caller who waits a while."""
        self.switch.clock.call_later(delay_ms, self._place, called, True)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self) -> None:
        gap_ms = round(self.rng.expovariate(self.per_hour / 3_600_000))
        self._timer = self.switch.clock.call_later(gap_ms, self._arrive)

    def _arrive(self) -> None:
        if self._limit is not None and self.placed >= self._limit:
            return
        self._place()
        self._schedule()

    def _place(self, called: str | None = None, patient: bool = False) -> None:
        caller = (
            self.rng.choice(self.callers)
            if self.callers
            else f"1380000{self.rng.randrange(10000):04d}"
        )
        profile = self.switch.random_caller()
        if patient:
            profile.patience_ms = max(profile.patience_ms, 120_000)
        self.switch.inbound(caller=caller, called=called or self.called, profile=profile)
        self.placed += 1
