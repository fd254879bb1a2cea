"""SDP parsing, codec choice and our own offers/answers."""

import pytest

from hotline.telephony.sip.sdp import (
    AudioChoice,
    MediaDesc,
    SdpError,
    build_sdp,
    choose_audio,
    parse_sdp,
)


def sdp(*lines: str) -> bytes:
    return ("\r\n".join(["v=0", "o=- 1 1 IN IP4 10.0.0.1", "s=-", *lines]) + "\r\n").encode()


def test_parse_full_offer():
    session = parse_sdp(
        sdp(
            "c=IN IP4 10.0.0.1",
            "t=0 0",
            "a=sendrecv",
            "m=audio 40000 RTP/AVP 0 8 18 101",
            "a=rtpmap:18 G729/8000",
            "a=fmtp:18 annexb=no",
            "a=rtpmap:101 telephone-event/8000",
            "a=fmtp:101 0-15",
            "a=ptime:30",
            "a=sendonly",
        )
    )
    assert session.origin == "- 1 1 IN IP4 10.0.0.1"
    assert session.host == "10.0.0.1"
    assert session.direction == "sendrecv"
    (audio,) = session.media
    assert audio == MediaDesc(
        media="audio",
        port=40000,
        proto="RTP/AVP",
        formats=[0, 8, 18, 101],
        rtpmap={
            0: ("PCMU", 8000),
            8: ("PCMA", 8000),
            18: ("G729", 8000),
            101: ("TELEPHONE-EVENT", 8000),
        },
        fmtp={18: "annexb=no", 101: "0-15"},
        direction="sendonly",
        host=None,
        ptime=30,
    )


def test_lf_line_ends_and_str_input():
    session = parse_sdp("v=0\no=- 1 1 IN IP4 ::1\nc=IN IP6 ::1\nm=audio 4000 RTP/AVP 8\n")
    assert session.host == "::1"
    assert session.media[0].rtpmap == {8: ("PCMA", 8000)}


def test_session_direction_is_inherited_by_media_without_its_own():
    session = parse_sdp(sdp("c=IN IP4 10.0.0.1", "a=inactive", "m=audio 4000 RTP/AVP 0"))
    assert session.direction == "inactive"
    assert choose_audio(session).direction == "inactive"


def test_non_rtp_media_lines_are_kept_without_formats():
    session = parse_sdp(
        sdp(
            "c=IN IP4 10.0.0.1",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "m=audio 4000 RTP/AVP 0",
        )
    )
    assert session.media[0].formats == []
    assert choose_audio(session).port == 4000


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n",
        b"v=1\r\n",
        b"v=0\r\nthis is not sdp\r\n",
        b"v=0\r\n\r\nm=audio 1 RTP/AVP 0\r\n",
        b"v=0\r\nm=audio\r\n",
        b"v=0\r\nm=audio 65536 RTP/AVP 0\r\n",
        b"v=0\r\nm=audio -1 RTP/AVP 0\r\n",
        b"v=0\r\nm=audio 4000 RTP/AVP 0 PCMU\r\n",
        b"v=0\r\nm=audio 4000 RTP/AVP 128\r\n",
        b"v=0\r\nc=IN IP4\r\n",
        b"v=0\r\nc=IN IP5 1.2.3.4\r\n",
        b"v=0\r\nc=IN IP4 ::1\r\n",
        b"v=0\r\nc=IN IP6 1.2.3.4\r\n",
        b"v=0\r\nc=IN IP4 not/an address!\r\n",
        b"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
        b"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:x PCMU/8000\r\n",
        b"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=fmtp:\r\n",
        b"v=0\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:0\r\n",
        b"v=0\r\n\xff\xfe\r\n",
    ],
)
def test_malformed_sdp_raises(data):
    with pytest.raises(SdpError):
        parse_sdp(data)


def test_choose_first_supported_codec_in_offer_order():
    offer = parse_sdp(
        sdp(
            "c=IN IP4 10.0.0.1",
            "m=audio 4000 RTP/AVP 18 8 0 101",
            "a=rtpmap:18 G729/8000",
            "a=rtpmap:101 telephone-event/8000",
        )
    )
    assert choose_audio(offer) == AudioChoice(
        payload_type=8,
        codec="PCMA",
        dtmf_payload_type=101,
        host="10.0.0.1",
        port=4000,
        direction="sendrecv",
    )
    assert choose_audio(offer, supported=("pcmu",)).codec == "PCMU"


def test_dynamic_payload_type_for_g711_and_dtmf():
    offer = parse_sdp(
        sdp(
            "c=IN IP4 10.0.0.1",
            "m=audio 4000 RTP/AVP 96 97 98",
            "a=rtpmap:96 opus/48000/2",
            "a=rtpmap:97 pcmu/8000",
            "a=rtpmap:98 telephone-event/48000",
        )
    )
    choice = choose_audio(offer)
    assert (choice.payload_type, choice.codec) == (97, "PCMU")
    assert choice.dtmf_payload_type is None  # only telephone-event at 8000 Hz fits G.711


def test_no_common_codec():
    offer = parse_sdp(
        sdp("c=IN IP4 10.0.0.1", "m=audio 4000 RTP/AVP 18 9", "a=rtpmap:18 G729/8000")
    )
    with pytest.raises(SdpError, match="no common codec"):
        choose_audio(offer)


def test_media_level_connection_wins_over_session_level():
    offer = parse_sdp(
        sdp("c=IN IP4 10.0.0.1", "m=audio 4000 RTP/AVP 0", "c=IN IP4 192.0.2.7", "a=recvonly")
    )
    choice = choose_audio(offer)
    assert (choice.host, choice.direction) == ("192.0.2.7", "recvonly")
    assert offer.host == "10.0.0.1"


def test_rejected_and_srtp_streams_are_skipped():
    offer = parse_sdp(
        sdp(
            "c=IN IP4 10.0.0.1",
            "m=audio 0 RTP/AVP 0",
            "m=audio 5000 RTP/SAVP 0",
            "m=video 6000 RTP/AVP 0",
            "m=audio 7000 RTP/AVP 8",
        )
    )
    choice = choose_audio(offer)
    assert (choice.port, choice.codec) == (7000, "PCMA")


def test_no_usable_stream_or_address():
    with pytest.raises(SdpError):
        choose_audio(parse_sdp(sdp("c=IN IP4 10.0.0.1", "m=audio 0 RTP/AVP 0")))
    with pytest.raises(SdpError):
        choose_audio(parse_sdp(sdp("m=audio 4000 RTP/AVP 0")))
    with pytest.raises(SdpError):
        choose_audio(parse_sdp(sdp("c=IN IP4 10.0.0.1")))


def test_build_sdp_layout():
    data = build_sdp(
        host="10.0.0.5",
        port=30000,
        codecs=[(0, "PCMU"), (8, "PCMA")],
        session_id=42,
        version=3,
    )
    assert data.decode().split("\r\n") == [
        "v=0",
        "o=hotline 42 3 IN IP4 10.0.0.5",
        "s=Hotline",
        "c=IN IP4 10.0.0.5",
        "t=0 0",
        "m=audio 30000 RTP/AVP 0 8 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=sendrecv",
        "",
    ]


def test_build_sdp_round_trips_through_choose_audio():
    data = build_sdp(
        host="2001:db8::5",
        port=30002,
        codecs=[(8, "PCMA")],
        dtmf_payload_type=None,
        direction="sendonly",
        session_id=7,
        ptime=40,
    )
    assert b"c=IN IP6 2001:db8::5\r\n" in data
    session = parse_sdp(data)
    assert session.media[0].ptime == 40
    assert choose_audio(session) == AudioChoice(8, "PCMA", None, "2001:db8::5", 30002, "sendonly")
    with pytest.raises(ValueError):
        build_sdp(host="1.2.3.4", port=1, codecs=[(0, "PCMU")], direction="both", session_id=1)
