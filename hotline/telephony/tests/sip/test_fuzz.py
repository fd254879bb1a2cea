"""Property tests: whatever arrives on the SIP port, the parsers answer with a
value or their own error type, never with a crash of another kind."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.telephony.sip.digest import parse_digest
from hotline.telephony.sip.message import (
    Address,
    SipError,
    Uri,
    Via,
    frame_stream,
    parse_message,
)
from hotline.telephony.sip.sdp import SdpError, choose_audio, parse_sdp

FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SDP = (
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
)
VALID = [
    (
        "INVITE sip:4008001234@127.0.0.1:5060;transport=udp SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa1;rport, SIP/2.0/TCP [2001:db8::1];"
        "branch=z9hG4bKa2\r\n"
        "Max-Forwards: 70\r\n"
        'From: "Smith, J" <sip:13800138000@10.0.0.1>;tag=f1\r\n'
        "To: <sip:4008001234@127.0.0.1>\r\n"
        "Call-ID: fuzz-1@10.0.0.1\r\n"
        "CSeq: 1 INVITE\r\n"
        "Contact: <sip:13800138000@10.0.0.1:5070>;expires=60\r\n"
        "Subject: folded\r\n continuation\r\n"
        "Content-Type: application/sdp\r\n"
        f"Content-Length: {len(SDP)}\r\n\r\n{SDP}"
    ).encode(),
    (
        b"SIP/2.0 200 OK\r\n"
        b"v: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKa1\r\n"
        b"f: <sip:13800138000@10.0.0.1>;tag=f1\r\n"
        b"t: <sip:4008001234@127.0.0.1>;tag=t1\r\n"
        b"i: fuzz-2\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Record-Route: <sip:10.0.0.9;lr>\r\n"
        b"l: 0\r\n\r\n"
    ),
    (
        b"REGISTER sip:example.com SIP/2.0\n"
        b"Via: SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKr\n"
        b"From: sip:100@example.com;tag=r\n"
        b"To: sip:100@example.com\n"
        b"Call-ID: reg@10.0.0.2\n"
        b"CSeq: 3 REGISTER\n"
        b'Authorization: Digest username="100", realm="example.com", nonce="n", uri="sip:x",'
        b' response="00"\n'
        b"Contact: *\n"
        b"Expires: 0\n\n"
    ),
]


def parse_or_error(data: bytes):
    """parse_message's result, or None if it raised SipError (anything else fails)."""
    try:
        return parse_message(data)
    except SipError:
        return None


def check_accessors(message) -> None:
    """The validated accessors never raise on a returned message; the others only SipError."""
    message.call_id  # noqa: B018
    message.cseq  # noqa: B018
    message.from_  # noqa: B018
    message.to  # noqa: B018
    assert message.vias
    for accessor in ("contacts", "content_type", "contact_star"):
        with contextlib.suppress(SipError):
            getattr(message, accessor)
    for name in ("Route", "Record-Route"):
        for value in message.headers.get_all(name):
            with contextlib.suppress(SipError):
                Address.parse(value)


def check_reencodes(message) -> None:
    encoded = message.encode()
    again = parse_message(encoded)
    assert again.encode() == encoded
    assert again.body == message.body


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_parse_or_raise_sip_error(data):
    message = parse_or_error(data)
    if message is not None:
        check_accessors(message)
        check_reencodes(message)


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(VALID)))
    lines = bytes(data).split(b"\n")
    kind = draw(
        st.sampled_from(
            ["flip", "truncate", "duplicate", "remove", "insert", "length", "swap", "mixed"]
        )
    )
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] = draw(st.integers(0, 255))
    elif kind == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif kind in ("duplicate", "remove", "swap"):
        index = draw(st.integers(0, len(lines) - 1))
        if kind == "duplicate":
            lines.insert(index, lines[index])
        elif kind == "remove":
            del lines[index]
        else:
            other = draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        data = bytearray(b"\n".join(lines))
    elif kind == "insert":
        for _ in range(draw(st.integers(1, 4))):
            position = draw(st.integers(0, len(data)))
            data[position:position] = draw(st.sampled_from([b"\r", b"\n", b"\x00", b"\r\n", b" "]))
    elif kind == "length":
        value = draw(st.sampled_from([b"99999999999", b"65536", b"-1", b"1e3", b"", b"0x10"]))
        data = bytearray(bytes(data).replace(b"Length: ", b"Length: " + value + b" ", 1))
        data = bytearray(bytes(data).replace(b"l: 0", b"l: " + value, 1))
    else:  # mix several text-level edits that keep the bytes mostly printable
        text = bytes(data).decode("latin-1")
        for _ in range(draw(st.integers(1, 4))):
            position = draw(st.integers(0, len(text)))
            insert = draw(st.sampled_from([",", ";", "<", ">", '"', ":", "=", "@", "[", "]", "\\"]))
            text = text[:position] + insert + text[position:]
        data = bytearray(text.encode("latin-1"))
    return bytes(data)


def test_valid_samples_parse():
    for data in VALID:
        message = parse_message(data)
        check_accessors(message)
        check_reencodes(message)


@FUZZ
@given(mutated())
def test_mutated_messages_parse_or_raise_sip_error(data):
    message = parse_or_error(data)
    if message is not None:
        check_accessors(message)
        check_reencodes(message)


@st.composite
def stream(draw):
    """Several valid messages back to back, with keep-alives, cut into random chunks."""
    messages = [
        parse_message(draw(st.sampled_from(VALID[:2]))).encode()
        for _ in range(draw(st.integers(1, 5)))
    ]
    data = b"".join(draw(st.sampled_from([b"", b"\r\n", b"\r\n\r\n"])) + m for m in messages)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    return messages, chunks


@FUZZ
@given(stream())
def test_frame_stream_on_random_chunkings_yields_the_messages(case):
    messages, chunks = case
    buffer, framed = bytearray(), []
    for chunk in chunks:
        buffer.extend(chunk)
        while (message := frame_stream(buffer)) is not None:
            framed.append(message)
    assert framed == messages
    assert buffer == bytearray()


SDP_PIECES = [
    "v=0",
    "o=- 1 1 IN IP4 10.0.0.1",
    "c=IN IP4 10.0.0.1",
    "c=IN IP6 ::1",
    "c=IN IP4 ::1",
    "m=audio 0 RTP/AVP 0",
    "m=audio 40000 RTP/AVP 8 0 101",
    "m=audio 70000 RTP/AVP 0",
    "m=video 5000 RTP/AVP 96",
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
    "a=rtpmap:101 telephone-event/8000",
    "a=rtpmap:0 PCMU/8000/1",
    "a=rtpmap:x",
    "a=fmtp:101 0-16",
    "a=ptime:20",
    "a=ptime:²",
    "a=sendonly",
    "a=inactive",
]


@FUZZ
@given(
    st.one_of(
        st.text(max_size=400),
        st.binary(max_size=400),
        st.lists(st.one_of(st.sampled_from(SDP_PIECES), st.text(max_size=30)), max_size=14).map(
            "\r\n".join
        ),
    )
)
def test_parse_sdp_raises_only_sdp_error(data):
    try:
        session = parse_sdp(data)
    except SdpError:
        return
    with contextlib.suppress(SdpError):
        choose_audio(session)


@FUZZ
@given(
    st.one_of(
        st.text(max_size=300),
        st.text(alphabet='Digestrmanuo=", \\\t', max_size=80).map(lambda s: "Digest " + s),
        st.lists(
            st.tuples(
                st.sampled_from(["realm", "nonce", "qop", "REALM", "", "a b"]),
                st.text(alphabet='abc," \\=', max_size=10),
            ),
            max_size=6,
        ).map(lambda pairs: "Digest " + ", ".join(f"{k}={v}" for k, v in pairs)),
    )
)
def test_parse_digest_raises_only_sip_error(value):
    try:
        params = parse_digest(value)
    except SipError:
        return
    assert params
    assert all(key == key.lower() for key in params)


@FUZZ
@given(st.text(max_size=120))
@pytest.mark.parametrize("parse", [Uri.parse, Address.parse, Via.parse])
def test_header_value_parsers_raise_only_sip_error(parse, text):
    with contextlib.suppress(SipError):
        parse(text)
