"""What a public SIP port meets: scanners, wrong passwords, strangers asking
for outside numbers, and garbage. Sent over real UDP and TCP to the running
switch; afterwards it still answers and holds no call."""

import random
import socket
import uuid

import pytest

from hotline.telephony.models import SipTrunk
from hotline.telephony.sip.digest import authorization
from hotline.telephony.tests.realsip.conftest import HOTLINE, PASSWORD, db_read
from hotline.telephony.tests.realsip.peers import CARRIER_ADDRESS, run_sipp, wait_until

SDP = (
    "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
)


class Client:
    """A bare SIP user agent on a UDP socket (or a TCP connection)."""

    def __init__(self, port: int, *, transport: str = "UDP", address: str = "127.0.0.1"):
        self.port, self.transport = port, transport
        kind = socket.SOCK_DGRAM if transport == "UDP" else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_INET, kind)
        self.sock.settimeout(3)
        self.sock.bind((address, 0))
        if transport != "UDP":
            self.sock.connect(("127.0.0.1", port))
        self.local = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> None:
        if self.transport == "UDP":
            self.sock.sendto(data, ("127.0.0.1", self.port))
        else:
            self.sock.sendall(data)

    def request(self, method: str, user: str, *, from_user="13800138000", body="", headers=()):
        lines = [
            f"{method} sip:{user}@127.0.0.1:{self.port} SIP/2.0",
            f"Via: SIP/2.0/{self.transport} 127.0.0.1:{self.local}"
            f";branch=z9hG4bK{uuid.uuid4().hex}",
            f"From: <sip:{from_user}@127.0.0.1>;tag={uuid.uuid4().hex[:8]}",
            f"To: <sip:{user}@127.0.0.1>",
            f"Call-ID: {uuid.uuid4().hex}",
            f"CSeq: 1 {method}",
            f"Contact: <sip:{from_user}@127.0.0.1:{self.local}>",
            "Max-Forwards: 70",
            *headers,
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        self.send_raw(("\r\n".join(lines) + "\r\n\r\n" + body).encode())
        return self.final()

    def final(self) -> tuple[int, str]:
        """The first final (non-1xx) response: status and the whole text."""
        while True:
            data = self.sock.recv(65_535).decode()
            status = int(data.split(" ", 2)[1])
            if status >= 200:
                return status, data


@pytest.fixture
def client(sip_live):
    clients = []

    def make(transport="UDP", address="127.0.0.1"):
        clients.append(Client(sip_live.switch.port, transport=transport, address=address))
        return clients[-1]

    yield make
    for each in clients:
        each.close()


def header(text: str, name: str) -> str:
    return next(
        line.split(":", 1)[1].strip()
        for line in text.split("\r\n")
        if line.lower().startswith(name.lower() + ":")
    )


def test_options_keepalive_over_udp_and_tcp(client):
    for transport in ("UDP", "TCP"):
        status, text = client(transport).request("OPTIONS", "hotline")
        assert status == 200
        assert "INVITE" in header(text, "Allow")


def test_register_needs_the_right_password(sip_live, client):
    phone = client()
    status, text = phone.request("REGISTER", "8002", from_user="8002")
    assert status == 401
    challenge = header(text, "WWW-Authenticate")
    uri = f"sip:8002@127.0.0.1:{sip_live.switch.port}"
    wrong = authorization(challenge, method="REGISTER", uri=uri, username="8002", password="nope")
    status, _ = phone.request(
        "REGISTER", "8002", from_user="8002", headers=[f"Authorization: {wrong}"]
    )
    assert status == 401
    assert "8002" not in sip_live.switch.registered()
    right = authorization(challenge, method="REGISTER", uri=uri, username="8002", password=PASSWORD)
    status, _ = phone.request(
        "REGISTER", "8002", from_user="8002", headers=[f"Authorization: {right}", "Expires: 60"]
    )
    assert status == 200
    assert "8002" in sip_live.switch.registered()


def test_repeated_failures_ban_the_address(sip_live, client):
    scanner = client()
    uri = f"sip:8002@127.0.0.1:{sip_live.switch.port}"
    for attempt in range(5):
        _, text = scanner.request("REGISTER", "8002", from_user="8002")
        wrong = authorization(
            header(text, "WWW-Authenticate"),
            method="REGISTER",
            uri=uri,
            username="8002",
            password=f"guess{attempt}",
        )
        scanner.request("REGISTER", "8002", from_user="8002", headers=[f"Authorization: {wrong}"])
    with pytest.raises(TimeoutError):  # banned: no answer at all, even to OPTIONS
        scanner.request("OPTIONS", "hotline")


def test_strangers_are_challenged_and_nobody_reaches_outside_numbers(sip_live, client):
    stranger = client()
    status, _ = stranger.request("INVITE", HOTLINE, from_user="13800138000", body=SDP)
    assert status == 403  # not a trunk address and not an extension
    phone = client()
    status, text = phone.request("INVITE", "013911112222", from_user="8002", body=SDP)
    assert status == 407
    uri = f"sip:013911112222@127.0.0.1:{sip_live.switch.port}"
    credentials = authorization(
        header(text, "Proxy-Authenticate"),
        method="INVITE",
        uri=uri,
        username="8002",
        password=PASSWORD,
    )
    status, _ = phone.request(
        "INVITE",
        "013911112222",
        from_user="8002",
        body=SDP,
        headers=[f"Proxy-Authorization: {credentials}"],
    )
    assert status == 404  # no open relay: an extension reaches our own numbers only
    assert sip_live.switch.open_legs() == []


MALFORMED = [
    b"",
    b"\x00\xff\xfe garbage",
    b"INVITE\r\n\r\n",
    b"INVITE sip:x@127.0.0.1 SIP/3.0\r\nVia: SIP/2.0/UDP 1.2.3.4\r\n\r\n",
    b"INVITE sip:4008001234@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKx\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    b"INVITE sip:4008001234@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKy\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: 1\r\nCSeq: x INVITE\r\n\r\n",
    b"BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKz\r\n"
    b"From: <sip:a@b>;tag=1\r\n"
    b"To: <sip:c@d>\r\nCall-ID: 2\r\nCSeq: 1 INVITE\r\nContent-Length: 99999\r\n\r\n",
    b"SIP/2.0 999 Nope\r\n\r\n",
    b"REGISTER sip:127.0.0.1 SIP/2.0\r\n" + b"X-Long: " + b"a" * 60_000 + b"\r\n\r\n",
    b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP [::1\r\nFrom: x\r\nTo: y\r\nCall-ID: 3\r\n"
    b"CSeq: 1 OPTIONS\r\n\r\n",
]


def test_malformed_input_crashes_nothing_and_leaves_no_call(sip_live, client):
    # From addresses of their own: the garbage may well get them banned.
    udp, tcp = client(address="127.0.0.5"), client("TCP", address="127.0.0.6")
    rng = random.Random(4)  # repeatable mutations
    valid = (
        f"INVITE sip:{HOTLINE}@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKq\r\n"
        "From: <sip:8002@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: q\r\n"
        f"CSeq: 1 INVITE\r\nContent-Length: {len(SDP)}\r\n\r\n{SDP}"
    ).encode()
    mutations = []
    for _ in range(300):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        mutations.append(bytes(data[: rng.randint(1, len(data))]))
    for data in MALFORMED + mutations:
        udp.send_raw(data)
    tcp.send_raw(b"INVITE sip:x SIP/2.0\r\nContent-Length: nope\r\n\r\n")
    # Still answering. The flood may fill the socket's receive buffer for a
    # moment, so the OPTIONS is sent again as a UDP client would.
    keepalive = client()
    for _attempt in range(4):
        try:
            status, _ = keepalive.request("OPTIONS", "hotline")
            break
        except TimeoutError:
            status = None
    assert status == 200
    assert sip_live.switch.open_legs() == []
    assert sip_live.switch.b2bua.counters["malformed"] >= len(MALFORMED) - 2


def test_a_trunk_takes_no_more_calls_than_its_channels(sip_live, client):
    db_read(lambda: SipTrunk.objects.filter(name="carrier").update(max_channels=1))
    sip_live.reload()
    carrier = client(address=CARRIER_ADDRESS)
    first = Dialog(carrier)
    status, answer = first.invite(HOTLINE)
    assert status == 200  # the hotline's menu answers
    status, text = Dialog(carrier).invite(HOTLINE)
    assert status == 503 and header(text, "Retry-After") == "5"
    first.ack_and_bye(answer)
    wait_until(lambda: sip_live.switch.open_legs() == [], timeout=5, what="the call to end")
    again = Dialog(carrier)
    status, answer = again.invite(HOTLINE)  # a channel is free again
    assert status == 200
    again.ack_and_bye(answer)


class Dialog:
    """One call of a bare client: INVITE, then ACK and BYE of its answer."""

    def __init__(self, client: Client):
        self.client = client
        self.call_id, self.tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]

    def _send(self, method: str, user: str, cseq: int, *, to_tag: str = "", body: str = ""):
        c = self.client
        lines = [
            f"{method} sip:{user}@127.0.0.1:{c.port} SIP/2.0",
            f"Via: SIP/2.0/UDP {CARRIER_ADDRESS}:{c.local};branch=z9hG4bK{uuid.uuid4().hex}",
            f"From: <sip:13800138000@{CARRIER_ADDRESS}>;tag={self.tag}",
            f"To: <sip:{user}@127.0.0.1>" + (f";tag={to_tag}" if to_tag else ""),
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:13800138000@{CARRIER_ADDRESS}:{c.local}>",
            "Max-Forwards: 70",
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        c.send_raw(("\r\n".join(lines) + "\r\n\r\n" + body).encode())

    def invite(self, user: str) -> tuple[int, str]:
        self.user = user
        self._send("INVITE", user, 1, body=SDP)
        return self.client.final()

    def ack_and_bye(self, answer: str) -> None:
        to_tag = header(answer, "To").split("tag=")[1].split(";")[0]
        self._send("ACK", self.user, 1, to_tag=to_tag)
        self._send("BYE", self.user, 2, to_tag=to_tag)
        status, _ = self.client.final()
        assert status == 200


def test_sipp_bad_messages_get_their_answers_and_leave_no_call(sip_live, tmp_path):
    result = run_sipp(
        "bad_messages.xml", port=sip_live.switch.port, workdir=tmp_path, service=HOTLINE
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert sip_live.switch.open_legs() == []
