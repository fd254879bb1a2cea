"""RFC 4733 telephone events: payloads, the receiver and the sender."""

import pytest

from hotline.telephony.media.dtmf import (
    END_PACKETS,
    GAP_TICKS,
    PRESS_PACKETS,
    DtmfReceiver,
    DtmfSender,
    encode_event,
    parse_event,
)


@pytest.mark.parametrize("digit", list("0123456789*#ABCD"))
def test_every_key_round_trips(digit):
    assert parse_event(encode_event(digit, True, 10, 800)) == (digit, True, 10, 800)
    assert parse_event(encode_event(digit, False, duration=160)) == (digit, False, 10, 160)


def test_non_keys_are_rejected():
    with pytest.raises(ValueError):
        parse_event(bytes([16, 0x80, 0, 0]))  # event 16 (flash) is no key
    with pytest.raises(ValueError):
        parse_event(b"\x01\x80")
    with pytest.raises(ValueError):
        encode_event("X", False)


def press(receiver, digit, timestamp, start=0.0):
    """The packets a phone sends for one key: 5 updates, then the end 3 times."""
    for number in range(1, 6):
        receiver.packet(encode_event(digit, False, duration=number * 160), timestamp, start)
    for _ in range(3):
        receiver.packet(encode_event(digit, True, duration=800), timestamp, start + 0.1)


def test_a_press_with_three_end_packets_is_reported_once():
    digits = []
    receiver = DtmfReceiver(digits.append)
    press(receiver, "1", timestamp=1000)
    receiver.poll(5.0)
    assert digits == ["1"]


def test_two_presses_of_the_same_key_are_two_digits():
    digits = []
    receiver = DtmfReceiver(digits.append)
    press(receiver, "1", timestamp=1000)
    press(receiver, "1", timestamp=3000)
    assert digits == ["1", "1"]


def test_a_press_whose_end_never_comes_is_reported_after_a_second():
    digits = []
    receiver = DtmfReceiver(digits.append)
    receiver.packet(encode_event("7", False, duration=160), 500, now=10.0)
    receiver.poll(10.5)
    assert digits == []
    receiver.poll(11.1)
    assert digits == ["7"]
    receiver.packet(encode_event("7", True, duration=800), 500, now=11.2)  # late end
    receiver.poll(20.0)
    assert digits == ["7"]


def test_a_new_event_reports_the_unended_one_first():
    digits = []
    receiver = DtmfReceiver(digits.append)
    receiver.packet(encode_event("4", False, duration=160), 100, now=0.0)
    press(receiver, "5", timestamp=900, start=0.2)
    assert digits == ["4", "5"]


def test_sender_spreads_each_key_over_ticks():
    sender = DtmfSender()
    sender.queue("9#")
    steps = []
    while sender.active:
        steps.append(sender.tick())
    per_key = PRESS_PACKETS + END_PACKETS + GAP_TICKS
    assert len(steps) == 2 * per_key
    key = steps[:per_key]
    events = [parse_event(step.payload) for step in key if step is not None]
    assert [digit for digit, *_ in events] == ["9"] * (PRESS_PACKETS + END_PACKETS)
    assert [end for _, end, _, _ in events] == [False] * PRESS_PACKETS + [True] * END_PACKETS
    durations = [duration for *_, duration in events]
    assert durations == sorted(durations) and durations[-1] == PRESS_PACKETS * 160
    assert [step.marker for step in key if step] == [True] + [False] * 7
    assert key[-GAP_TICKS:] == [None] * GAP_TICKS
    assert parse_event(steps[per_key].payload)[0] == "#"
    assert sender.tick() is None


def test_sender_rejects_non_keys_without_queueing_any():
    sender = DtmfSender()
    with pytest.raises(ValueError):
        sender.queue("12x")
    assert not sender.active
