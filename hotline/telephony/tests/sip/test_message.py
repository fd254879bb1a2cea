"""SIP message parsing, building and stream framing (RFC 3261, RFC 4475 style cases)."""

import pytest

from hotline.telephony.sip.message import (
    MAX_HEADERS,
    MAX_MESSAGE_BYTES,
    Address,
    Headers,
    Request,
    Response,
    SipError,
    Uri,
    Via,
    frame_stream,
    make_response,
    new_branch,
    new_call_id,
    new_tag,
    parse_message,
)


def sip(*lines: str, body: str = "") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


INVITE_LINES = (
    "INVITE sip:4008001234@127.0.0.1:5060 SIP/2.0",
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport",
    "Max-Forwards: 70",
    'From: "Caller" <sip:13800138000@127.0.0.1>;tag=from1',
    "To: <sip:4008001234@127.0.0.1>",
    "Call-ID: call-1@127.0.0.1",
    "CSeq: 1 INVITE",
    "Contact: <sip:13800138000@127.0.0.1:5070>",
    "Record-Route: <sip:10.0.0.1;lr>, <sip:10.0.0.2;lr>",
    "Content-Type: application/sdp",
)
SDP_BODY = "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


def invite(*extra: str, body: str = SDP_BODY) -> bytes:
    length = f"Content-Length: {len(body.encode())}"
    return sip(*INVITE_LINES, *extra, length, body=body)


# --- valid messages ---


def test_parse_basic_invite():
    message = parse_message(invite())
    assert isinstance(message, Request)
    assert message.method == "INVITE"
    assert message.uri == Uri("sip", "4008001234", "127.0.0.1", 5060)
    assert message.call_id == "call-1@127.0.0.1"
    assert message.cseq == (1, "INVITE")
    assert message.from_.display == "Caller"
    assert message.from_.tag == "from1"
    assert message.to.tag is None
    assert message.vias[0].branch == "z9hG4bKabc"
    assert message.vias[0].params == {"branch": "z9hG4bKabc", "rport": None}
    assert message.contacts[0].uri.port == 5070
    assert message.content_type == "application/sdp"
    assert message.body == SDP_BODY.encode()


def test_compact_header_names_are_expanded():
    data = sip(
        "OPTIONS sip:a@example.com SIP/2.0",
        "v: SIP/2.0/UDP host.example.com;branch=z9hG4bK1",
        "f: <sip:b@example.com>;tag=1",
        "t: sip:a@example.com",
        "i: compact@example.com",
        "CSeq: 7 OPTIONS",
        "m: <sip:b@host.example.com>",
        "k: replaces, timer",
        "c: text/plain",
        "l: 2",
        body="hi",
    )
    message = parse_message(data)
    assert message.call_id == "compact@example.com"
    assert message.headers.get("Call-ID") == "compact@example.com"
    assert message.headers.get("i") == "compact@example.com"
    assert message.headers.get_all("Supported") == ["replaces", "timer"]
    assert message.content_type == "text/plain"
    assert message.body == b"hi"
    names = [name for name, _ in message.headers.items()]
    assert names[:6] == ["Via", "From", "To", "Call-ID", "CSeq", "Contact"]
    assert b"\r\nCall-ID: compact@example.com\r\n" in message.encode()


def test_folded_header_lines_are_unfolded():
    data = invite(
        "Subject: I know you're there,",
        "   pick up the phone",
        "\tand talk to me!",
    )
    message = parse_message(data)
    assert message.headers.get("Subject") == (
        "I know you're there, pick up the phone and talk to me!"
    )


def test_several_vias_in_one_line_and_over_lines():
    data = sip(
        "BYE sip:a@10.0.0.1 SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.5;branch=z9hG4bKa, SIP / 2.0 / TCP [2001:db8::9:1]:5061"
        " ;branch=z9hG4bKb ; received=2001:db8::9:255",
        "Via: SIP/2.0/TLS proxy.example.com:5061;branch=z9hG4bKc;maddr=10.0.0.9",
        "From: <sip:b@example.com>;tag=1",
        "To: <sip:a@example.com>;tag=2",
        "Call-ID: v@x",
        "CSeq: 2 BYE",
        "Content-Length: 0",
    )
    vias = parse_message(data).vias
    assert [via.transport for via in vias] == ["UDP", "TCP", "TLS"]
    assert vias[1].host == "2001:db8::9:1"
    assert vias[1].port == 5061
    assert vias[1].params == {"branch": "z9hG4bKb", "received": "2001:db8::9:255"}
    assert vias[2].params["maddr"] == "10.0.0.9"
    assert str(vias[1]) == (
        "SIP/2.0/TCP [2001:db8::9:1]:5061;branch=z9hG4bKb;received=2001:db8::9:255"
    )


def test_quoted_display_name_with_comma_and_escapes_in_contact_list():
    data = invite(
        'Contact: "Smith, John \\"JS\\"" <sip:john@10.0.0.7>;expires=60;'
        '+sip.instance="<urn:uuid:1,2>", sip:other@10.0.0.8;q=0.5',
    )
    message = parse_message(data)
    first, second, third = message.contacts
    assert first.uri.user == "13800138000"
    assert second.display == 'Smith, John "JS"'
    assert second.params == {"expires": "60", "+sip.instance": '"<urn:uuid:1,2>"'}
    assert third.display is None
    assert third.uri == Uri("sip", "other", "10.0.0.8")
    assert third.params == {"q": "0.5"}  # addr-spec: parameters belong to the header


def test_unquoted_display_name_and_ipv6_uris():
    data = sip(
        "INVITE sip:[2001:db8::10]:5070;transport=tcp SIP/2.0",
        "Via: SIP/2.0/TCP [2001:db8::9:1];branch=z9hG4bK6",
        "From: Bob  Smith <sip:bob@[2001:db8::9:1]>;tag=ab",
        "To: <sip:[2001:db8::10]>",
        "Call-ID: v6@2001:db8::9:1",
        "CSeq: 8 INVITE",
        "Content-Length: 0",
    )
    message = parse_message(data)
    assert message.uri.host == "2001:db8::10"
    assert message.uri.user is None
    assert message.uri.params == {"transport": "tcp"}
    assert str(message.uri) == "sip:[2001:db8::10]:5070;transport=tcp"
    assert message.from_.display == "Bob Smith"
    assert message.from_.uri.host == "2001:db8::9:1"


def test_parameters_without_values():
    data = sip(
        "REGISTER sip:example.com;lr SIP/2.0",
        "Via: SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK7",
        "From: <sip:100@example.com>;tag=t;flag",
        "To: <sip:100@example.com>",
        "Call-ID: reg",
        "CSeq: 1 REGISTER",
        "Contact: *",
        "Expires: 0",
        "Content-Length: 0",
    )
    message = parse_message(data)
    assert message.uri.params == {"lr": None}
    assert message.vias[0].params == {"rport": None, "branch": "z9hG4bK7"}
    assert message.from_.params == {"tag": "t", "flag": None}
    assert str(message.vias[0]) == "SIP/2.0/UDP 10.0.0.1;rport;branch=z9hG4bK7"
    assert message.contact_star
    assert message.contacts == []


def test_uri_forms_round_trip():
    for text in (
        "sip:alice@atlanta.com",
        "sip:alice:secretword@atlanta.com;transport=tcp",
        "sips:alice@atlanta.com?subject=project%20x&priority=urgent",
        "sip:+1-212-555-1212:1234@gateway.com;user=phone",
        "sip:alice;day=tuesday@atlanta.com",
        "sip:[2001:db8::1]:5060;maddr=[2001:db8::2]",
        "sip:192.0.2.4",
        "tel:+86-10-1234-5678;phone-context=example.com",
    ):
        assert str(Uri.parse(text)) == text
    parsed = Uri.parse("sip:alice:secretword@atlanta.com;transport=tcp")
    assert (parsed.user, parsed.password, parsed.params) == (
        "alice",
        "secretword",
        {"transport": "tcp"},
    )
    assert Uri.parse("sip:alice;day=tuesday@atlanta.com").user == "alice;day=tuesday"
    assert Uri.parse("tel:+8613800138000").user == "+8613800138000"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "alice@atlanta.com",
        "http://example.com",
        "sip:",
        "sip:alice@",
        "sip:alice@host:99999",
        "sip:alice@host:",
        "sip:alice@ho st",
        "sip:alice@[2001:db8::1",
        "sip:alice@2001:db8::1",
        "sip:alice@256.1.1.1",
        "sip:al ice@host",
        "sip:<alice>@host",
        "sip:alice@host;=x",
        "tel:",
    ],
)
def test_bad_uris_raise(text):
    with pytest.raises(SipError):
        Uri.parse(text)


def test_address_forms():
    assert str(Address.parse("sip:a@b;tag=1")) == "<sip:a@b>;tag=1"
    address = Address.parse('  "" <sip:a@b>  ')
    assert address.display is None
    assert Address.parse('"A \\\\ B" <sip:a@b>').display == "A \\ B"
    text = '"A, \\"B\\"" <sip:a@b;transport=tcp>;tag=x;+param'
    assert str(Address.parse(text)) == text
    for bad in ("", "<sip:a@b", '"open <sip:a@b>', "<sip:a@b> junk", "Bad@Name <sip:a@b>"):
        with pytest.raises(SipError):
            Address.parse(bad)


def test_via_parse_and_format():
    via = Via.parse("SIP/2.0/udp 10.0.0.1:5060 ; branch=z9hG4bK1 ;rport")
    assert via == Via("UDP", "10.0.0.1", 5060, {"branch": "z9hG4bK1", "rport": None})
    assert str(via) == "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport"
    for bad in ("SIP/3.0/UDP host", "SIP/2.0/UDP", "SIP/2.0 host", "SIP/2.0/UDP host;=1"):
        with pytest.raises(SipError):
            Via.parse(bad)


def test_response_parse():
    data = sip(
        "SIP/2.0 486 Busy Here",
        "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc",
        "From: <sip:a@b>;tag=1",
        "To: <sip:c@d>;tag=2",
        "Call-ID: r1",
        "CSeq: 1 INVITE",
        "Content-Length: 0",
    )
    response = parse_message(data)
    assert isinstance(response, Response)
    assert (response.status, response.reason) == (486, "Busy Here")
    assert response.to.tag == "2"
    assert response.cseq == (1, "INVITE")


def test_lf_only_line_ends_and_leading_crlf():
    head, body = invite().split(b"\r\n\r\n", 1)
    message = parse_message(b"\r\n" + head.replace(b"\r\n", b"\n") + b"\n\n" + body)
    assert message.call_id == "call-1@127.0.0.1"
    assert message.body == SDP_BODY.encode()


def test_longer_body_is_truncated_to_content_length():
    data = sip(*INVITE_LINES, "Content-Length: 4", body="v=0\r\ntrailing junk")
    assert parse_message(data).body == b"v=0\r"


def test_missing_content_length_takes_the_whole_datagram():
    assert parse_message(sip(*INVITE_LINES, body="abc")).body == b"abc"


def test_encode_round_trip():
    message = parse_message(invite("Subject: folded", " twice"))
    encoded = message.encode()
    again = parse_message(encoded)
    assert again == message
    assert again.encode() == encoded
    assert encoded.count(b"Content-Length:") == 1


def test_encode_rewrites_content_length_after_body_change():
    message = parse_message(invite())
    message.body = b"changed"
    assert parse_message(message.encode()).body == b"changed"


def test_built_request_encodes_and_parses():
    request = Request("OPTIONS", Uri("sip", "100", "127.0.0.1", 5080))
    request.headers.add("Via", f"SIP/2.0/UDP 127.0.0.1:5060;branch={new_branch()}")
    request.headers.add("From", str(Address(Uri("sip", "hotline", "127.0.0.1"), "Hot Line")))
    request.headers.add("To", "<sip:100@127.0.0.1>")
    request.headers.add("Call-ID", new_call_id("127.0.0.1"))
    request.headers.add("CSeq", "1 OPTIONS")
    parsed = parse_message(request.encode())
    assert parsed.encode() == request.encode()
    assert parsed.from_.display == "Hot Line"
    assert parsed.headers.get("Content-Length") == "0"


def test_accessor_cache_follows_header_changes():
    message = parse_message(invite())
    assert message.vias[0].host == "127.0.0.1"
    message.headers.add("Via", "SIP/2.0/UDP 10.9.9.9;branch=z9hG4bKtop", first=True)
    assert [via.host for via in message.vias] == ["10.9.9.9", "127.0.0.1"]
    message.headers.set("To", "<sip:x@y>;tag=zz")
    assert message.to.tag == "zz"


def test_accessors_raise_sip_error_on_bad_values():
    request = Request("INVITE", Uri("sip", "a", "b"))
    request.headers.add("From", "not an address <")
    with pytest.raises(SipError):
        request.from_  # noqa: B018
    with pytest.raises(SipError):
        request.call_id  # noqa: B018
    request.headers.add("CSeq", "x INVITE")
    with pytest.raises(SipError):
        request.cseq  # noqa: B018


def test_headers_multimap_behaviour():
    headers = Headers([("via", "SIP/2.0/UDP a;branch=1"), ("X-UUID", "1")])
    headers.add("Via", "SIP/2.0/UDP b;branch=2")
    headers.add("v", "SIP/2.0/UDP top;branch=0", first=True)
    headers.add("Subject", "first-added", first=True)
    assert headers.get_all("VIA") == [
        "SIP/2.0/UDP top;branch=0",
        "SIP/2.0/UDP a;branch=1",
        "SIP/2.0/UDP b;branch=2",
    ]
    assert headers.items()[0] == ("Subject", "first-added")
    assert "x-uuid" in headers
    assert ("X-Uuid", "1") in headers.items()
    headers.set("via", "SIP/2.0/UDP only;branch=9")
    assert headers.get_all("Via") == ["SIP/2.0/UDP only;branch=9"]
    assert [name for name, _ in headers.items()] == ["Subject", "Via", "X-Uuid"]
    copy = headers.copy()
    copy.remove("subject")
    assert "Subject" in headers
    assert "Subject" not in copy
    assert headers.get("Missing") is None
    with pytest.raises(ValueError):
        headers.add("X-Injected", "a\r\nVia: evil")


def test_get_all_splits_only_list_headers():
    data = invite(
        "Allow: INVITE, ACK,BYE",
        'WWW-Authenticate: Digest realm="a, b", nonce="n"',
        "Route: <sip:p1;lr>, <sip:p2;lr>",
    )
    headers = parse_message(data).headers
    assert headers.get_all("Allow") == ["INVITE", "ACK", "BYE"]
    assert headers.get_all("WWW-Authenticate") == ['Digest realm="a, b", nonce="n"']
    assert headers.get_all("Route") == ["<sip:p1;lr>", "<sip:p2;lr>"]


# --- building responses ---


def test_make_response_copies_dialog_headers():
    request = parse_message(invite("Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKsecond"))
    response = make_response(request, 180, to_tag="totag")
    assert response.reason == "Ringing"
    assert response.headers.get_all("Via") == [
        "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport",
        "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKsecond",
    ]
    assert response.headers.get("From") == request.headers.get("From")
    assert response.to.tag == "totag"
    assert response.call_id == request.call_id
    assert response.cseq == (1, "INVITE")
    assert response.headers.get_all("Record-Route") == ["<sip:10.0.0.1;lr>", "<sip:10.0.0.2;lr>"]
    assert "Contact" not in response.headers
    assert parse_message(response.encode()).encode() == response.encode()


def test_make_response_keeps_an_existing_to_tag_and_skips_record_route_when_final_error():
    request = parse_message(
        invite().replace(b"To: <sip:4008001234@127.0.0.1>", b"To: <sip:x@y>;tag=old")
    )
    response = make_response(request, 486, to_tag="new")
    assert response.to.tag == "old"
    assert response.reason == "Busy Here"
    assert "Record-Route" not in response.headers


def test_make_response_body_extra_headers_and_reasons():
    request = parse_message(invite())
    response = make_response(
        request,
        200,
        to_tag="t",
        body=b"v=0\r\n",
        content_type="application/sdp",
        headers=[("Allow", "INVITE, ACK"), ("Contact", "<sip:hotline@127.0.0.1>")],
    )
    parsed = parse_message(response.encode())
    assert parsed.body == b"v=0\r\n"
    assert parsed.content_type == "application/sdp"
    assert parsed.headers.get("Content-Length") == "5"
    assert parsed.contacts[0].uri.user == "hotline"
    assert make_response(request, 481).reason == "Call/Transaction Does Not Exist"
    assert make_response(request, 599).reason == "Server Failure"
    assert make_response(request, 302, "Moved").reason == "Moved"
    with pytest.raises(ValueError):
        make_response(request, 200, body=b"x")


def test_record_route_not_copied_for_non_dialog_methods():
    options = invite().replace(b"INVITE sip:", b"OPTIONS sip:").replace(b"1 INVITE", b"1 OPTIONS")
    response = make_response(parse_message(options), 200)
    assert "Record-Route" not in response.headers


def test_identifiers():
    branch = new_branch()
    assert branch.startswith("z9hG4bK") and len(branch) == 23
    assert new_branch() != branch
    assert new_tag() != new_tag()
    assert new_call_id("10.0.0.1").endswith("@10.0.0.1")


# --- stream framing ---


def test_frame_stream_two_messages_and_a_partial_one():
    first, second = invite(), invite(body="")
    third = invite()
    buffer = bytearray(b"\r\n\r\n" + first + second + third[:50])
    assert frame_stream(buffer) == first
    assert frame_stream(buffer) == second
    assert frame_stream(buffer) is None
    assert bytes(buffer) == third[:50]
    buffer.extend(third[50:-3])
    assert frame_stream(buffer) is None
    buffer.extend(third[-3:])
    assert frame_stream(buffer) == third
    assert buffer == bytearray()
    assert frame_stream(buffer) is None


def test_frame_stream_drops_keep_alives_and_uses_compact_length():
    message = invite().replace(b"Content-Length:", b"l :")
    buffer = bytearray(b"\r\n\r\n\r\n" + message)
    assert frame_stream(buffer) == message
    buffer = bytearray(b"\r\n\r\n")
    assert frame_stream(buffer) is None
    assert buffer == bytearray()


@pytest.mark.parametrize(
    "data",
    [
        sip(*INVITE_LINES, body="abc"),  # no Content-Length
        sip(*INVITE_LINES, "Content-Length: ten", body="abc"),
        sip(*INVITE_LINES, "Content-Length: -1"),
        sip(*INVITE_LINES, "Content-Length: 3", "l: 4", body="abcd"),
        sip(*INVITE_LINES, f"Content-Length: {MAX_MESSAGE_BYTES}"),
        b"INVITE sip:a@b SIP/2.0\r\nX: " + b"y" * MAX_MESSAGE_BYTES,
    ],
)
def test_frame_stream_rejects_unframeable_streams(data):
    with pytest.raises(SipError):
        frame_stream(bytearray(data))


# --- malformed input ---


def replace(old: str, new: str) -> bytes:
    data = invite()
    assert old.encode() in data
    return data.replace(old.encode(), new.encode(), 1)


def drop(name: str) -> bytes:
    return b"\r\n".join(
        line for line in invite().split(b"\r\n") if not line.startswith(name.encode() + b":")
    )


MALFORMED = {
    "empty": b"",
    "only line ends": b"\r\n\r\n",
    "oversized": invite() + b"x" * MAX_MESSAGE_BYTES,
    "no end of headers": invite().split(b"\r\n\r\n")[0],
    "bad method chars": replace("INVITE sip:", "IN<VITE sip:"),
    "lowercase cseq mismatch": replace("INVITE sip:", "invite sip:"),
    "two spaces in request line": replace("INVITE sip:", "INVITE  sip:"),
    "bad version": replace(" SIP/2.0\r\nVia", " SIP/7.0\r\nVia"),
    "no version": replace(" SIP/2.0\r\nVia", "\r\nVia"),
    "bad request uri": replace("sip:4008001234@127.0.0.1:5060 ", "sip:4008001234@127.0.0.1:5060a "),
    "uri in brackets": replace("sip:4008001234@127.0.0.1:5060 ", "<sip:4008001234@127.0.0.1> "),
    "unknown scheme": replace("sip:4008001234@127.0.0.1:5060 ", "http://example.com "),
    "header without colon": replace("Max-Forwards: 70", "Max-Forwards 70"),
    "illegal header name": replace("Max-Forwards: 70", "Max Forwards: 70"),
    "folding at top": replace("Via:", " Via:"),
    "non utf-8 header": invite().replace(b"Caller", b"Ca\xffller"),
    "nul in header": replace("Caller", "Ca\x00ller"),
    "stray CR": replace("Caller", "Ca\rller"),
    "missing To": drop("To"),
    "missing From": drop("From"),
    "missing Call-ID": drop("Call-ID"),
    "missing CSeq": drop("CSeq"),
    "missing Via": drop("Via"),
    "empty Call-ID": replace("Call-ID: call-1@127.0.0.1", "Call-ID: "),
    "Call-ID with space": replace("Call-ID: call-1@127.0.0.1", "Call-ID: call 1"),
    "two Call-IDs": replace("Max-Forwards: 70", "Call-ID: other"),
    "two To": replace("Max-Forwards: 70", "To: <sip:x@y>"),
    "CSeq without number": replace("CSeq: 1 INVITE", "CSeq: INVITE"),
    "CSeq too big": replace("CSeq: 1 INVITE", "CSeq: 2147483648 INVITE"),
    "CSeq negative": replace("CSeq: 1 INVITE", "CSeq: -1 INVITE"),
    "CSeq method mismatch": replace("CSeq: 1 INVITE", "CSeq: 1 ACK"),
    "CSeq extra": replace("CSeq: 1 INVITE", "CSeq: 1 INVITE x"),
    "bad From": replace('From: "Caller" <sip:', 'From: "Caller <sip:'),
    "bad To": replace("To: <sip:4008001234@127.0.0.1>", "To: <sip:4008001234@127.0.0.1"),
    "bad Via protocol": replace("Via: SIP/2.0/UDP", "Via: SIP/3.0/UDP"),
    "bad Via host": replace("Via: SIP/2.0/UDP 127.0.0.1:5070", "Via: SIP/2.0/UDP 127.0.0.1:x"),
    "empty Via": replace("Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport", "Via: "),
    "Content-Length not int": replace(f"Content-Length: {len(SDP_BODY)}", "Content-Length: 5x"),
    "Content-Length beyond body": replace(
        f"Content-Length: {len(SDP_BODY)}", f"Content-Length: {len(SDP_BODY) + 1}"
    ),
    "huge Content-Length": replace(
        f"Content-Length: {len(SDP_BODY)}", "Content-Length: 99999999999"
    ),
    "status too small": sip("SIP/2.0 99 Odd", *INVITE_LINES[1:]),
    "status too big": sip("SIP/2.0 700 Odd", *INVITE_LINES[1:]),
    "status not numeric": sip("SIP/2.0 2x0 Odd", *INVITE_LINES[1:]),
    "too many headers": sip(*INVITE_LINES, *(f"X-H{i}: {i}" for i in range(MAX_HEADERS))),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_messages_raise_sip_error(data):
    with pytest.raises(SipError):
        parse_message(data)


def test_ack_and_cancel_need_their_own_cseq_method():
    for method in ("ACK", "CANCEL"):
        good = replace("INVITE sip:", f"{method} sip:").replace(b"1 INVITE", f"1 {method}".encode())
        assert parse_message(good).method == method
        with pytest.raises(SipError):
            parse_message(replace("INVITE sip:", f"{method} sip:"))
