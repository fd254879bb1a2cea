"""A caller's prompts and keys on the `sip` switch (media/keys.py), on a real
media core: RFC 4733 key presses sent over RTP by a peer, prompts played
from a WAV file; the events the engine would get are kept in order."""

import asyncio

import pytest

from hotline.telephony.media import g711
from hotline.telephony.media.core import MediaCore
from hotline.telephony.media.keys import PromptsAndKeys
from hotline.telephony.media.prompts import PromptStore
from hotline.telephony.media.wav import write_pcm
from hotline.telephony.switch import DigitsCollected, DtmfReceived, PlaybackDone
from hotline.telephony.tests.media.test_core import DTMF_PT, Peer, tone, until

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def caller(tmp_path):
    """``(keys, events, press)``: one RTP leg "c" whose peer presses keys."""
    write_pcm(tmp_path / "menu.wav", tone(500, 1.0))
    events: list = []
    keys = None
    core = MediaCore(
        host="127.0.0.1",
        port_min=41000,
        port_max=41999,
        prompts=PromptStore(tmp_path),
        on_dtmf=lambda leg, digit: keys.on_dtmf(leg, digit),
        on_playback_done=lambda leg, playback: keys.on_playback_done(leg, playback),
    )
    await core.start()
    keys = PromptsAndKeys(core, events.append)
    peer = await Peer.open("PCMA")
    port = await core.add_rtp_leg("c")
    core.set_rtp_remote(
        "c",
        host="127.0.0.1",
        port=peer.port,
        codec="PCMA",
        payload_type=g711.PAYLOAD_TYPES["PCMA"],
        dtmf_payload_type=DTMF_PT,
    )

    async def press(*digits: str) -> None:
        for digit in digits:
            await peer.press(port, digit)

    yield keys, events, press
    await core.close()
    peer.close()


def of_kind(events, kind) -> list:
    return [event for event in events if isinstance(event, kind)]


async def test_a_key_during_the_prompt_stops_it_and_completes_the_menu(caller):
    keys, events, press = caller
    keys.collect("c", audio="menu.wav", max_digits=1, timeout_ms=2000)
    await asyncio.sleep(0.3)
    await press("1")
    await until(lambda: of_kind(events, DigitsCollected))
    assert of_kind(events, DigitsCollected) == [DigitsCollected("c", digits="1", reason="max")]
    await asyncio.sleep(1.0)  # the prompt would have ended by now: it was stopped
    assert of_kind(events, PlaybackDone) == [] and of_kind(events, DtmfReceived) == []


async def test_keys_pressed_just_before_count_for_the_next_collection(caller):
    keys, events, press = caller
    await press("2")
    await until(lambda: of_kind(events, DtmfReceived))
    keys.collect("c", audio="menu.wav", max_digits=1, timeout_ms=2000)
    assert of_kind(events, DigitsCollected) == [DigitsCollected("c", digits="2", reason="max")]


async def test_digits_end_with_the_terminator_or_the_timeout(caller):
    keys, events, press = caller
    keys.collect("c", max_digits=6, timeout_ms=1500, terminator="#")
    await press("4", "2", "#")
    await until(lambda: of_kind(events, DigitsCollected))
    assert of_kind(events, DigitsCollected) == [
        DigitsCollected("c", digits="42", reason="terminator")
    ]
    keys.collect("c", max_digits=6, timeout_ms=300)
    await press("7")
    await until(lambda: len(of_kind(events, DigitsCollected)) == 2)
    assert of_kind(events, DigitsCollected)[1] == DigitsCollected("c", digits="7", reason="timeout")


async def test_the_timeout_starts_when_the_prompt_ends(caller):
    keys, events, _press = caller
    loop = asyncio.get_running_loop()
    started = loop.time()
    keys.collect("c", audio="menu.wav", max_digits=1, timeout_ms=300)
    await until(lambda: of_kind(events, DigitsCollected), timeout=5)
    assert loop.time() - started >= 1.2  # one second of prompt, then the wait
    assert of_kind(events, DigitsCollected) == [DigitsCollected("c", digits="", reason="timeout")]
    assert of_kind(events, PlaybackDone) == []  # the menu's own prompt is not announced


async def test_a_plain_prompt_announces_its_end_and_a_gone_leg_says_nothing(caller):
    keys, events, _press = caller
    keys.play("c", playback_id="p1", audio="menu.wav")
    await until(lambda: of_kind(events, PlaybackDone), timeout=5)
    assert of_kind(events, PlaybackDone) == [PlaybackDone("c", "p1")]
    keys.collect("c", max_digits=1, timeout_ms=200)
    keys.forget("c")
    await asyncio.sleep(0.4)
    assert of_kind(events, DigitsCollected) == []
