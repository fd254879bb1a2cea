"""G.711 µ-law and A-law on linear PCM."""

import array

import pytest

from hotline.telephony.media import g711


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_round_trip_of_every_sample_is_within_quantisation_error(codec):
    samples = array.array("h", range(-32768, 32768))
    encoded = g711.encode(samples.tobytes(), codec)
    decoded = array.array("h", g711.decode(encoded, codec))
    assert len(encoded) == len(samples)  # one byte per sample
    # G.711 steps grow with the amplitude: the error stays under 1/16 of it.
    worst = max(abs(x - y) - abs(x) / 16 for x, y in zip(samples, decoded, strict=True))
    assert worst <= 16


def test_the_two_laws_differ_and_silence_stays_near_zero():
    tone = array.array("h", [1000, -1000, 20000, -20000]).tobytes()
    assert g711.encode(tone, "PCMU") != g711.encode(tone, "PCMA")
    assert g711.decode(g711.encode(g711.SILENCE, "PCMU"), "PCMU") == g711.SILENCE
    # A-law has no zero level: silence comes back as the smallest step.
    assert set(array.array("h", g711.decode(g711.encode(g711.SILENCE, "PCMA"), "PCMA"))) == {8}


def test_payload_types_and_unknown_codecs():
    assert g711.PAYLOAD_TYPES == {"PCMU": 0, "PCMA": 8}
    assert g711.CODEC_OF_PAYLOAD_TYPE[8] == "PCMA"
    assert g711.FRAME_BYTES == 320 and g711.FRAME_MS == 20
    with pytest.raises(ValueError):
        g711.encode(b"\0\0", "G722")
    with pytest.raises(ValueError):
        g711.decode(b"\0", "opus")
