"""The SIP side of the `sip` driver: a back-to-back user agent on asyncio.

Every call leg is a dialog of its own that ends here: carriers' calls come in
on the trunk side (only from configured addresses, only to dialled numbers),
agents' SIP phones register with digest authentication and are called as
extensions, and the engine's outbound calls leave through the trunk. Media of
each leg terminates in the media core, which bridges, plays and records.

Nothing here decides where a call goes: legs are announced to the engine as
switch events and the engine's commands come back as method calls, all on
this loop. A leg the engine never learnt of cannot exist: every INVITE that
is accepted becomes a ``LegCreated`` first.
"""

import asyncio
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.telephony.sip import digest
from hotline.telephony.sip.directory import Directory
from hotline.telephony.sip.message import (
    Address,
    Request,
    Response,
    SipError,
    Uri,
    make_response,
    new_branch,
    new_call_id,
    new_tag,
    parse_message,
)
from hotline.telephony.sip.sdp import SdpError, build_sdp, choose_audio, parse_sdp
from hotline.telephony.sip.transport import Peer, Transports
from hotline.telephony.switch import (
    LegAnswered,
    LegCreated,
    LegHungUp,
    LegRinging,
)

logger = logging.getLogger(__name__)
T1, T2, TIMEOUT = 0.5, 4.0, 32.0
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, NOTIFY, INFO"
MAX_EXPIRES, DEFAULT_EXPIRES = 3600, 600
OFFER_CODECS = [(8, "PCMA"), (0, "PCMU")]
STATUS_CAUSES = {
    486: "busy",
    600: "busy",
    408: "no_answer",
    480: "no_answer",
    487: "cancelled",
    603: "rejected",
}
FINISHED_KEPT = 1000


@dataclass
class Registration:
    extension: str
    contact: Uri
    peer: Peer
    expires_at: float


@dataclass
class Leg:
    id: str
    inbound: bool
    kind: str  # trunk, extension, webrtc
    peer: Peer | None = None
    call_id: str = ""
    local_tag: str = ""
    remote_tag: str = ""
    local: Address | None = None  # our side as it appears in From (UAC) or To (UAS)
    remote: Address | None = None
    remote_target: Uri | None = None
    route_set: list[str] = field(default_factory=list)
    local_cseq: int = 0
    invite: Request | None = None
    invite_branch: str = ""
    final: Response | None = None
    state: str = "early"  # early, confirmed, ended
    rtp_port: int = 0
    sdp_version: int = 1
    timers: dict = field(default_factory=dict)
    auth_tried: bool = False
    trunk: object = None
    ringing_sent: bool = False
    codec: object = None  # the AudioChoice in use
    phone: object = None  # a browser softphone's WebRtcPhone


@dataclass
class ClientTransaction:
    request: Request
    peer: Peer
    on_response: Callable[[Response], None]
    timers: list = field(default_factory=list)
    provisional: bool = False


class B2BUA:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        public_host: str,
        realm: str,
        media,
        emit: Callable[[object], None],
        on_dtmf: Callable[[str, str], None],
        guard: digest.AuthGuard | None = None,
    ):
        self.host, self.public_host, self.realm = host, public_host or host, realm
        self.media, self.emit, self.on_dtmf = media, emit, on_dtmf
        self.transports = Transports(host=host, port=port, on_message=self.on_message)
        self.directory = Directory()
        self.guard = guard or digest.AuthGuard()
        self.nonces = digest.NonceSource(secrets.token_bytes(32))
        self.registrations: dict[str, Registration] = {}
        self.legs: dict[str, Leg] = {}
        self.by_dialog: dict[tuple[str, str], Leg] = {}  # (Call-ID, our tag)
        self.server_responses: dict[tuple[str, str], tuple[Response, Peer, float]] = {}
        self.client: dict[str, ClientTransaction] = {}
        self.webrtc_phones: dict = {}
        self._ids = itertools.count(1)
        self._run = secrets.token_hex(3)
        self.counters = {"malformed": 0, "rejected": 0, "banned": 0}
        self._tasks: set[asyncio.Task] = set()
        self.finished: deque = deque(maxlen=FINISHED_KEPT)  # (leg id, its last media stats)

    @property
    def port(self) -> int:
        return self.transports.port

    async def start(self) -> None:
        await self.transports.start()
        self._sweeper = asyncio.get_running_loop().call_later(5, self._sweep)

    async def close(self) -> None:
        for leg in list(self.legs.values()):
            if leg.state != "ended":
                self._end_signalling(leg, cause="shutdown")
        self._sweeper.cancel()
        for phone in list(self.webrtc_phones.values()):
            await phone.close()
        await self.transports.close()

    def _spawn(self, coroutine) -> None:
        """Run a coroutine on the loop, holding it until it is done."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def set_directory(self, directory: Directory) -> None:
        self.directory = directory

    # --- messages in ---

    def on_message(self, data: bytes, peer: Peer) -> None:
        if peer.transport == "UDP" and data.strip(b"\r\n") == b"":
            return  # a keep-alive
        if self.guard.banned(peer.host):
            self.counters["banned"] += 1
            return
        try:
            message = parse_message(data)
        except SipError as error:
            self.counters["malformed"] += 1
            logger.debug("Malformed SIP from %s: %s", peer, error)
            return
        try:
            if isinstance(message, Request):
                self._on_request(message, peer)
            else:
                self._on_response(message)
        except (SipError, SdpError) as error:
            self.counters["malformed"] += 1
            logger.info("Bad SIP %s from %s: %s", _first_line(message), peer, error)
            if isinstance(message, Request) and message.method != "ACK":
                self._reply(message, peer, 400)

    def _on_request(self, request: Request, peer: Peer) -> None:
        self._mark_received(request, peer)
        key = (request.vias[0].branch or "", request.method)
        cached = self.server_responses.get(key)
        if cached is not None and request.method != "ACK":
            self.transports.send(cached[0].encode(), cached[1])  # a retransmission
            return
        max_forwards = request.headers.get("Max-Forwards")
        if max_forwards is not None and max_forwards.strip() == "0":
            self._reply(request, peer, 483)
            return
        handler = {
            "INVITE": self._on_invite,
            "ACK": self._on_ack,
            "BYE": self._on_bye,
            "CANCEL": self._on_cancel,
            "OPTIONS": self._on_options,
            "REGISTER": self._on_register,
            "INFO": self._on_info,
            "NOTIFY": self._on_in_dialog_ok,
            "REFER": self._on_refer,
        }.get(request.method)
        if handler is None:
            self._reply(request, peer, 405, headers=[("Allow", ALLOW)])
            return
        handler(request, peer)

    def _mark_received(self, request: Request, peer: Peer) -> None:
        """RFC 3261 18.2.1 and RFC 3581: note where the request really came from."""
        vias = request.headers.get_all("Via")
        via = request.vias[0]
        params = dict(via.params)
        if via.host != peer.host:
            params["received"] = peer.host
        if "rport" in params:
            params["rport"] = str(peer.port)
        if params != via.params:
            via.params = params
            request.headers.remove("Via")
            request.headers.add("Via", str(via))
            for value in vias[1:]:
                request.headers.add("Via", value)

    def _reply(self, request: Request, peer: Peer, status: int, **kwargs) -> Response:
        if request.method == "INVITE" and status > 100:
            kwargs.setdefault("to_tag", new_tag())  # RFC 3261 8.2.6.2
        response = make_response(request, status, **kwargs)
        if request.method != "ACK":
            key = (request.vias[0].branch or "", request.method)
            if status >= 200 or request.method == "INVITE":
                self.server_responses[key] = (response, peer, time.monotonic() + TIMEOUT)
            self.transports.send(response.encode(), peer)
        return response

    # --- REGISTER, OPTIONS ---

    def _on_options(self, request: Request, peer: Peer) -> None:
        self._reply(
            request,
            peer,
            200,
            headers=[("Allow", ALLOW), ("Accept", "application/sdp")],
        )

    def _on_register(self, request: Request, peer: Peer) -> None:
        number = request.to.uri.user or ""
        entry = self.directory.extensions.get(number)
        if entry is None or entry.kind != "sip" or not entry.ha1_md5:
            self._auth_failed(peer)
            self._reply(request, peer, 403)
            return
        if not self._authenticated(request, peer, entry, header="Authorization", status=401):
            return
        expires = self._expires(request)
        if request.contact_star or expires == 0:
            self.registrations.pop(number, None)
            self._reply(request, peer, 200)
            return
        contacts = request.contacts
        if not contacts:
            self._reply(request, peer, 200)  # a query: nothing bound
            return
        self.registrations[number] = Registration(
            number, contacts[0].uri, peer, time.monotonic() + expires
        )
        contact = f"<{contacts[0].uri}>;expires={expires}"
        self._reply(request, peer, 200, headers=[("Contact", contact)])

    def _expires(self, request: Request) -> int:
        value = None
        if request.contacts:
            value = request.contacts[0].params.get("expires")
        value = value or request.headers.get("Expires")
        try:
            return max(0, min(int(value), MAX_EXPIRES)) if value is not None else DEFAULT_EXPIRES
        except ValueError:
            return DEFAULT_EXPIRES

    def _authenticated(self, request, peer, entry, *, header: str, status: int) -> bool:
        value = request.headers.get(header)
        if value is None:
            self._challenge(request, peer, status)
            return False
        try:
            credentials = digest.parse_digest(value)
        except SipError:
            credentials = {}
        nonce = self.nonces.check(credentials.get("nonce", ""))
        if credentials.get("username") != entry.number or nonce == "bad":
            self._auth_failed(peer)
            self._challenge(request, peer, status)
            return False
        algorithm = credentials.get("algorithm", "MD5")
        if not digest.verify(credentials, method=request.method, ha1_hex=entry.ha1(algorithm)):
            self._auth_failed(peer)
            self._challenge(request, peer, status)
            return False
        if nonce == "stale":
            self._challenge(request, peer, status, stale=True)
            return False
        self.guard.success(peer.host)
        return True

    def _challenge(self, request, peer, status: int, *, stale: bool = False) -> None:
        name = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
        value = digest.challenge(self.realm, self.nonces.issue(), stale=stale)
        self._reply(request, peer, status, headers=[(name, value)])

    def _auth_failed(self, peer: Peer) -> None:
        if self.guard.failure(peer.host):
            logger.warning("SIP: %s banned after repeated failed authentication", peer.host)

    # --- INVITE in ---

    def _on_invite(self, request: Request, peer: Peer) -> None:
        if request.to.tag:
            self._on_reinvite(request, peer)
            return
        called_user = request.uri.user or request.to.uri.user or ""
        trunk = self.directory.trunk_from(peer.host)
        if trunk is not None:
            if self._trunk_full(trunk):
                self.counters["rejected"] += 1
                self._reply(request, peer, 503, headers=[("Retry-After", "5")])
                return
            caller = _caller(request)
            kind = "trunk"
        else:
            entry = self.directory.extensions.get(request.from_.uri.user or "")
            if entry is None or entry.kind != "sip" or not entry.ha1_md5:
                self._auth_failed(peer)
                self.counters["rejected"] += 1
                self._reply(request, peer, 403)
                return
            if not self._authenticated(
                request, peer, entry, header="Proxy-Authorization", status=407
            ):
                return
            caller, kind = entry.number, "extension"
        called = self.directory.dialled(called_user)
        if called is None:
            self.counters["rejected"] += 1
            self._reply(request, peer, 404)  # no open relay: only our own numbers answer
            return
        try:
            choice = choose_audio(parse_sdp(request.body))
        except SdpError:
            self._reply(request, peer, 488)
            return
        self._reply(request, peer, 100)
        leg = Leg(
            id=f"sip-{self._run}-{next(self._ids)}",
            inbound=True,
            kind=kind,
            peer=peer,
            call_id=request.call_id,
            local_tag=new_tag(),
            remote_tag=request.from_.tag or "",
            local=request.to,
            remote=request.from_,
            remote_target=request.contacts[0].uri if request.contacts else request.from_.uri,
            route_set=request.headers.get_all("Record-Route"),
            invite=request,
            trunk=trunk,
        )
        self.legs[leg.id] = leg
        self.by_dialog[(leg.call_id, leg.local_tag)] = leg
        self._spawn(self._open_inbound_media(leg, choice, caller, called))

    async def _open_inbound_media(self, leg: Leg, choice, caller: str, called: str) -> None:
        try:
            leg.rtp_port = await self.media.add_rtp_leg(leg.id)
        except OSError:
            logger.exception("No RTP port for %s", leg.id)
            self._reply(leg.invite, leg.peer, 503)
            self._forget(leg)
            return
        if leg.state == "ended":  # cancelled meanwhile
            self.media.remove_leg(leg.id)
            return
        self._set_remote_media(leg, choice)
        leg.codec = choice
        self.emit(LegCreated(leg.id, caller=caller, called=called))

    def _set_remote_media(self, leg: Leg, choice) -> None:
        self.media.set_rtp_remote(
            leg.id,
            host=choice.host,
            port=choice.port,
            codec=choice.codec,
            payload_type=choice.payload_type,
            dtmf_payload_type=choice.dtmf_payload_type,
            direction=choice.direction,
        )

    def _local_sdp(self, leg: Leg, codecs, *, direction: str = "sendrecv") -> bytes:
        leg.sdp_version += 1
        return build_sdp(
            host=self.public_host,
            port=leg.rtp_port,
            codecs=codecs,
            direction=direction,
            session_id=abs(hash(leg.id)) % 10**9,
            version=leg.sdp_version,
        )

    def _contact(self, peer: Peer | None = None) -> str:
        transport = ";transport=tcp" if peer is not None and peer.transport == "TCP" else ""
        return f"<sip:hotline@{self.public_host}:{self.port}{transport}>"

    def answer(self, leg_id: str) -> None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.state != "early":
            return
        if leg.kind == "webrtc":
            self._webrtc_answer_leg(leg)
            return
        if not leg.inbound:
            return  # a phone answers by itself; nothing to force
        choice = leg.codec
        body = self._local_sdp(leg, [(choice.payload_type, choice.codec)], direction="sendrecv")
        leg.final = self._reply(
            leg.invite,
            leg.peer,
            200,
            to_tag=leg.local_tag,
            body=body,
            content_type="application/sdp",
            headers=[("Contact", self._contact(leg.peer)), ("Allow", ALLOW)],
        )
        leg.state = "confirmed"
        if leg.peer.transport == "UDP":
            self._retransmit_final(leg, T1)
        leg.timers["ack"] = asyncio.get_running_loop().call_later(TIMEOUT, self._no_ack, leg.id)
        self.emit(LegAnswered(leg.id))

    def ring(self, leg_id: str) -> None:
        """Early ringing back to an inbound caller (180)."""
        leg = self.legs.get(leg_id)
        if leg is not None and leg.inbound and leg.state == "early" and not leg.ringing_sent:
            leg.ringing_sent = True
            self._reply(leg.invite, leg.peer, 180, to_tag=leg.local_tag)

    def _retransmit_final(self, leg: Leg, interval: float) -> None:
        """Send the 2xx again, T1 doubling up to T2, until the ACK comes."""
        leg.timers["final"] = asyncio.get_running_loop().call_later(
            interval, self._resend_final, leg.id, min(interval * 2, T2)
        )

    def _resend_final(self, leg_id: str, interval: float) -> None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.final is None or "ack" not in leg.timers:
            return
        self.transports.send(leg.final.encode(), leg.peer)
        self._retransmit_final(leg, interval)

    def _no_ack(self, leg_id: str) -> None:
        leg = self.legs.get(leg_id)
        if leg is not None and leg.state == "confirmed":
            leg.timers.pop("ack", None)
            self.hangup(leg_id, cause="failed")

    def _on_ack(self, request: Request, peer: Peer) -> None:
        leg = self.by_dialog.get((request.call_id, request.to.tag or ""))
        if leg is None:
            return
        for name in ("ack", "final"):
            timer = leg.timers.pop(name, None)
            if timer is not None:
                timer.cancel()

    def _on_reinvite(self, request: Request, peer: Peer) -> None:
        leg = self.by_dialog.get((request.call_id, request.to.tag or ""))
        if leg is None or leg.state == "ended":
            self._reply(request, peer, 481)
            return
        direction = "sendrecv"
        choice = leg.codec
        if request.body:
            try:
                choice = choose_audio(parse_sdp(request.body))
            except SdpError:
                self._reply(request, peer, 488)
                return
            self._set_remote_media(leg, choice)
            leg.codec = choice
            direction = {"sendonly": "recvonly", "inactive": "inactive", "recvonly": "sendonly"}
            direction = direction.get(choice.direction, "sendrecv")
        body = self._local_sdp(leg, [(choice.payload_type, choice.codec)], direction=direction)
        self._reply(
            request,
            peer,
            200,
            body=body,
            content_type="application/sdp",
            headers=[("Contact", self._contact(peer))],
        )

    def _on_cancel(self, request: Request, peer: Peer) -> None:
        leg = next(
            (
                leg
                for leg in self.legs.values()
                if leg.inbound
                and leg.invite is not None
                and leg.invite.call_id == request.call_id
                and leg.invite.vias[0].branch == request.vias[0].branch
            ),
            None,
        )
        if leg is None:
            self._reply(request, peer, 481)
            return
        self._reply(request, peer, 200)
        if leg.state == "early":
            self._reply(leg.invite, leg.peer, 487, to_tag=leg.local_tag)
            self._remote_gone(leg, cause="normal")

    def _on_bye(self, request: Request, peer: Peer) -> None:
        leg = self.by_dialog.get((request.call_id, request.to.tag or ""))
        if leg is None or leg.state == "ended":
            self._reply(request, peer, 481)
            return
        self._reply(request, peer, 200)
        self._remote_gone(leg, cause="normal")

    def _on_info(self, request: Request, peer: Peer) -> None:
        leg = self.by_dialog.get((request.call_id, request.to.tag or ""))
        if leg is None:
            self._reply(request, peer, 481)
            return
        self._reply(request, peer, 200)
        if (request.content_type or "").startswith("application/dtmf-relay"):
            for line in request.body.decode(errors="replace").splitlines():
                name, _, value = line.partition("=")
                if name.strip().lower() == "signal" and value.strip()[:1] in "0123456789*#":
                    self.on_dtmf(leg.id, value.strip()[:1])  # SIP INFO

    def _on_in_dialog_ok(self, request: Request, peer: Peer) -> None:
        leg = self.by_dialog.get((request.call_id, request.to.tag or ""))
        self._reply(request, peer, 200 if leg is not None else 481)

    def _on_refer(self, request: Request, peer: Peer) -> None:
        # Transfers are the engine's: an agent transfers from the desktop.
        self._reply(request, peer, 405 if request.to.tag else 481, headers=[("Allow", ALLOW)])

    # --- legs the engine places ---

    def originate(self, *, leg_id: str, to: str, caller_id: str) -> None:
        entry = self.directory.extensions.get(to)
        if entry is not None and entry.kind == "webrtc":
            self._originate_webrtc(leg_id, to)
            return
        if entry is not None:
            registration = self.registrations.get(to)
            if registration is None or registration.expires_at < time.monotonic():
                self._fail_soon(leg_id, "unavailable")
                return
            target, peer, trunk = registration.contact, registration.peer, None
        else:
            trunk = self.directory.outbound_trunk()
            if trunk is None or self._trunk_full(trunk):
                self._fail_soon(leg_id, "failed" if trunk is None else "busy")
                return
            target = Uri(scheme="sip", user=to, host=trunk.outbound_host, port=trunk.outbound_port)
            peer = Peer(trunk.transport, trunk.outbound_host, trunk.outbound_port)
            caller_id = trunk.caller_id or caller_id
        leg = Leg(
            id=leg_id,
            inbound=False,
            kind="trunk" if trunk else "extension",
            peer=peer,
            call_id=new_call_id(self.public_host),
            local_tag=new_tag(),
            local=Address(
                uri=Uri(scheme="sip", user=caller_id or "hotline", host=self.public_host)
            ),
            remote=Address(uri=Uri(scheme="sip", user=to, host=target.host, port=target.port)),
            remote_target=target,
            trunk=trunk,
        )
        leg.local.params["tag"] = leg.local_tag
        self.legs[leg_id] = leg
        self.by_dialog[(leg.call_id, leg.local_tag)] = leg
        self._spawn(self._send_invite(leg))

    def _trunk_full(self, trunk) -> bool:
        """Whether the trunk carries its maximum of simultaneous calls."""
        if not trunk.max_channels:
            return False
        busy = sum(
            1
            for leg in self.legs.values()
            if leg.trunk is not None and leg.trunk.name == trunk.name and leg.state != "ended"
        )
        return busy >= trunk.max_channels

    def _fail_soon(self, leg_id: str, cause: str) -> None:
        asyncio.get_running_loop().call_soon(self.emit, LegHungUp(leg_id, cause=cause))

    async def _send_invite(self, leg: Leg, authorization: tuple[str, str] | None = None) -> None:
        if not leg.rtp_port:
            try:
                leg.rtp_port = await self.media.add_rtp_leg(leg.id)
            except OSError:
                logger.exception("No RTP port for %s", leg.id)
                self._forget(leg)
                self.emit(LegHungUp(leg.id, cause="failed"))
                return
        if leg.state == "ended":
            return
        leg.local_cseq += 1
        request = self._request(leg, "INVITE", cseq=leg.local_cseq)
        request.body = self._local_sdp(leg, OFFER_CODECS)
        request.headers.add("Content-Type", "application/sdp")
        request.headers.add("Allow", ALLOW)
        if authorization is not None:
            request.headers.add(*authorization)
        leg.invite, leg.invite_branch = request, request.vias[0].branch
        self._send_client(
            request, leg.peer, lambda response: self._on_invite_response(leg, response)
        )

    def _request(self, leg: Leg, method: str, *, cseq: int, branch: str | None = None) -> Request:
        """A request inside the leg's dialog (or the INVITE that starts it)."""
        transport = leg.peer.transport
        branch = branch or new_branch()
        via = f"SIP/2.0/{transport} {self.public_host}:{self.port};branch={branch};rport"
        uri = leg.remote_target
        routes = list(leg.route_set)
        if routes and ";lr" not in routes[0]:
            routes = [*routes[1:], f"<{uri}>"]
            uri = Address.parse(leg.route_set[0]).uri
        request = Request(method=method, uri=uri, headers=_headers())
        request.headers.add("Via", via)
        request.headers.add("Max-Forwards", "70")
        local, remote = (leg.local, leg.remote)
        if leg.inbound:  # we are the UAS of the dialog: From is the caller, To is us
            request.headers.add("From", _with_tag(local, leg.local_tag))
            request.headers.add("To", _with_tag(remote, leg.remote_tag))
        else:
            request.headers.add("From", str(local))
            request.headers.add("To", _with_tag(remote, leg.remote_tag))
        request.headers.add("Call-ID", leg.call_id)
        request.headers.add("CSeq", f"{cseq} {method}")
        request.headers.add("Contact", self._contact(leg.peer))
        for route in routes:
            request.headers.add("Route", route)
        request.headers.add("User-Agent", "Hotline")
        return request

    def _send_client(self, request: Request, peer: Peer, on_response) -> None:
        branch = request.vias[0].branch
        transaction = ClientTransaction(request, peer, on_response)
        self.client[branch] = transaction
        data = request.encode()
        self.transports.send(data, peer)
        loop = asyncio.get_running_loop()
        if peer.transport == "UDP":
            transaction.timers.append(loop.call_later(T1, self._resend_request, branch, T1))
        transaction.timers.append(loop.call_later(TIMEOUT, self._client_timeout, branch))

    def _resend_request(self, branch: str, interval: float) -> None:
        transaction = self.client.get(branch)
        if transaction is None or transaction.provisional:
            return
        self.transports.send(transaction.request.encode(), transaction.peer)
        interval = interval * 2 if transaction.request.method == "INVITE" else min(interval * 2, T2)
        transaction.timers.append(
            asyncio.get_running_loop().call_later(interval, self._resend_request, branch, interval)
        )

    def _client_timeout(self, branch: str) -> None:
        transaction = self.client.pop(branch, None)
        if transaction is None:
            return
        for timer in transaction.timers:
            timer.cancel()
        timeout = make_response(transaction.request, 408)
        transaction.on_response(timeout)

    def _on_response(self, response: Response) -> None:
        branch = response.vias[0].branch if response.vias else ""
        transaction = self.client.get(branch)
        if transaction is None:
            self._stray_response(response)
            return
        if response.status < 200:
            transaction.provisional = True
        else:
            self.client.pop(branch, None)
            for timer in transaction.timers:
                timer.cancel()
        transaction.on_response(response)

    def _stray_response(self, response: Response) -> None:
        """A 2xx to our INVITE retransmitted after the transaction ended: ACK again."""
        if response.cseq[1] != "INVITE" or not 200 <= response.status < 300:
            return
        leg = self.by_dialog.get((response.call_id, response.from_.tag or ""))
        if leg is not None and leg.state == "confirmed":
            self._ack(leg, response)

    def _on_invite_response(self, leg: Leg, response: Response) -> None:
        if leg.state == "ended":
            if 200 <= response.status < 300:
                leg.remote_tag = response.to.tag or ""
                self._ack(leg, response)
                self._send_bye(leg)
            elif response.status >= 300:
                self._ack_failure(leg, response)
            return
        status = response.status
        if status < 200:
            if status in (180, 183) and not leg.ringing_sent:
                leg.ringing_sent = True
                self.emit(LegRinging(leg.id))
            return
        if status < 300:
            self._invite_accepted(leg, response)
            return
        self._ack_failure(leg, response)
        if status in (401, 407) and not leg.auth_tried and leg.trunk and leg.trunk.username:
            leg.auth_tried = True
            name = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
            header = "Authorization" if status == 401 else "Proxy-Authorization"
            value = digest.authorization(
                response.headers.get(name) or "",
                method="INVITE",
                uri=str(leg.remote_target),
                username=leg.trunk.username,
                password=leg.trunk.password,
            )
            self._spawn(self._send_invite(leg, (header, value)))
            return
        self._remote_gone(leg, cause=STATUS_CAUSES.get(status, "failed"))

    def _invite_accepted(self, leg: Leg, response: Response) -> None:
        leg.remote_tag = response.to.tag or ""
        if response.contacts:
            leg.remote_target = response.contacts[0].uri
        leg.route_set = list(reversed(response.headers.get_all("Record-Route")))
        leg.remote = response.to
        try:
            choice = choose_audio(parse_sdp(response.body))
        except SdpError:
            self._ack(leg, response)
            self._send_bye(leg)
            self._remote_gone(leg, cause="failed")
            return
        leg.codec = choice
        self._set_remote_media(leg, choice)
        self._ack(leg, response)
        leg.state = "confirmed"
        self.emit(LegAnswered(leg.id))

    def _ack(self, leg: Leg, response: Response) -> None:
        ack = self._request(leg, "ACK", cseq=response.cseq[0])
        self.transports.send(ack.encode(), self._route_peer(leg))

    def _ack_failure(self, leg: Leg, response: Response) -> None:
        """ACK of a non-2xx final response: same branch, To from the response."""
        ack = _same_transaction(leg.invite, "ACK", to=response.headers.get("To"))
        self.transports.send(ack.encode(), leg.peer)

    def _route_peer(self, leg: Leg) -> Peer:
        """Where in-dialog requests go: the first route, else the peer we know."""
        if leg.route_set:
            uri = Address.parse(leg.route_set[0]).uri
            transport = "TCP" if (uri.params.get("transport") or "").lower() == "tcp" else "UDP"
            return Peer(transport, uri.host, uri.port or 5060)
        return leg.peer

    # --- hanging up ---

    def hangup(self, leg_id: str, *, cause: str = "normal") -> None:
        leg = self.legs.get(leg_id)
        if leg is None or leg.state == "ended":
            return
        self._end_signalling(leg, cause=cause)
        self.emit(LegHungUp(leg_id, cause=cause, side="local"))

    def _end_signalling(self, leg: Leg, *, cause: str) -> None:
        if leg.kind == "webrtc":
            pass
        elif leg.inbound and leg.state == "early":
            status = 603 if cause == "rejected" else 480
            self._reply(leg.invite, leg.peer, status, to_tag=leg.local_tag)
        elif not leg.inbound and leg.state == "early":
            self._send_cancel(leg)
        elif leg.state == "confirmed":
            self._send_bye(leg)
        self._forget(leg)

    def _send_cancel(self, leg: Leg) -> None:
        invite = leg.invite
        if invite is None:
            return
        cancel = _same_transaction(invite, "CANCEL", to=invite.headers.get("To"))
        self.client.pop(leg.invite_branch, None)  # the INVITE's final answer comes as a stray
        self._send_client(cancel, leg.peer, lambda response: None)
        # keep the INVITE transaction so its 487 is ACKed
        self.client[leg.invite_branch] = ClientTransaction(
            invite, leg.peer, lambda response: self._on_invite_response(leg, response), [], True
        )

    def _send_bye(self, leg: Leg) -> None:
        leg.local_cseq += 1
        bye = self._request(leg, "BYE", cseq=leg.local_cseq)
        self._send_client(bye, self._route_peer(leg), lambda response: None)

    def _remote_gone(self, leg: Leg, *, cause: str) -> None:
        self._forget(leg)
        self.emit(LegHungUp(leg.id, cause=cause, side="remote"))

    def _forget(self, leg: Leg) -> None:
        leg.state = "ended"
        for timer in leg.timers.values():
            timer.cancel()
        leg.timers.clear()
        self.legs.pop(leg.id, None)
        self.by_dialog.pop((leg.call_id, leg.local_tag), None)
        if self.media.has_leg(leg.id):
            stats = self.media.stats(leg.id)
            self.finished.append((leg.id, stats))
            logger.info(
                "SIP leg %s ended: %d packets in, %d out, %d lost, jitter %.1f ms",
                leg.id,
                stats.packets_in,
                stats.packets_out,
                stats.lost,
                stats.jitter_ms,
            )
            self.media.remove_leg(leg.id)

    def leg_ids(self) -> list[str]:
        return list(self.legs)

    # --- housekeeping ---

    def _sweep(self) -> None:
        now = time.monotonic()
        for key, (_response, _peer, until) in list(self.server_responses.items()):
            if until < now:
                del self.server_responses[key]
        for number, registration in list(self.registrations.items()):
            if registration.expires_at < now:
                del self.registrations[number]
        self._sweeper = asyncio.get_running_loop().call_later(5, self._sweep)

    # --- browser softphones ---

    async def webrtc_accept(self, extension: str, offer_sdp: str) -> str:
        from hotline.telephony.media.webrtc import WebRtcPhone

        entry = self.directory.extensions.get(extension)
        if entry is None or entry.kind != "webrtc":
            raise ValueError(f"{extension} is not a browser extension")
        old = self.webrtc_phones.pop(extension, None)
        if old is not None:
            await old.close()
        phone = WebRtcPhone(extension=extension, hosts=self.webrtc_hosts)
        self.webrtc_phones[extension] = phone
        return await phone.accept(offer_sdp)

    webrtc_hosts: list[str] | None = None

    def _originate_webrtc(self, leg_id: str, extension: str) -> None:
        phone = self.webrtc_phones.get(extension)
        if phone is None or not phone.connected:
            self._fail_soon(leg_id, "unavailable")
            return
        leg = Leg(id=leg_id, inbound=False, kind="webrtc")
        leg.phone = phone
        self.legs[leg_id] = leg
        asyncio.get_running_loop().call_soon(self.emit, LegRinging(leg_id))

    def _webrtc_answer_leg(self, leg: Leg) -> None:
        self.media.add_endpoint_leg(leg.id, _SharedEndpoint(leg.phone.endpoint))
        leg.state = "confirmed"
        self.emit(LegAnswered(leg.id))


class _SharedEndpoint:
    """One call's use of a browser's lasting connection: closing the leg
    detaches it, the browser stays connected for the next call."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def attach(self, sink) -> None:
        self.endpoint.attach(sink)

    def send(self, pcm: bytes) -> None:
        self.endpoint.send(pcm)

    def close(self) -> None:
        self.endpoint.attach(_Nowhere())


class _Nowhere:
    def frame(self, pcm: bytes) -> None:
        pass

    def dtmf(self, digit: str) -> None:
        pass


def _same_transaction(invite: Request, method: str, *, to: str) -> Request:
    """An ACK of a failed INVITE or a CANCEL of a pending one (RFC 3261 9.1,
    17.1.1.3): the INVITE's top Via (its branch), From, Call-ID and CSeq number."""
    request = Request(method=method, uri=invite.uri, headers=_headers())
    request.headers.add("Via", invite.headers.get_all("Via")[0])
    request.headers.add("Max-Forwards", "70")
    request.headers.add("From", invite.headers.get("From"))
    request.headers.add("To", to)
    request.headers.add("Call-ID", invite.call_id)
    request.headers.add("CSeq", f"{invite.cseq[0]} {method}")
    return request


def _headers():
    from hotline.telephony.sip.message import Headers

    return Headers()


def _with_tag(address: Address, tag: str) -> str:
    params = {key: value for key, value in address.params.items() if key != "tag"}
    copy = Address(uri=address.uri, display=address.display, params=params)
    if tag:
        copy.params["tag"] = tag
    return str(copy)


def _caller(request: Request) -> str:
    asserted = request.headers.get("P-Asserted-Identity")
    if asserted:
        try:
            return Address.parse(asserted).uri.user or ""
        except SipError:
            pass
    return request.from_.uri.user or ""


def _first_line(message) -> str:
    return message.method if isinstance(message, Request) else str(message.status)
