"""SDP (RFC 4566) for audio calls: read an offer or answer, pick the G.711
codec and DTMF payload type to use, and write our own description.

Only what a G.711 audio call needs is modelled: connection addresses, media
lines with their rtpmap/fmtp/ptime and the direction attributes. Anything
malformed is an `SdpError`.
"""

import ipaddress
import re
from dataclasses import dataclass, field


class SdpError(ValueError):
    """Malformed or unusable SDP."""


DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
PLAIN_RTP_PROFILES = ("RTP/AVP", "RTP/AVPF")
# RFC 3551 static payload types that need no rtpmap.
STATIC_PAYLOAD_TYPES = {
    0: ("PCMU", 8000),
    3: ("GSM", 8000),
    4: ("G723", 8000),
    8: ("PCMA", 8000),
    9: ("G722", 8000),
    18: ("G729", 8000),
}
_DIGITS = re.compile(r"[0-9]{1,6}")
_LINE = re.compile(r"([a-z])=(.*)")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-.]*)")
_RTPMAP = re.compile(r"([0-9]{1,3})[ \t]+([^/ \t]+)/([0-9]{1,6})(?:/[0-9]{1,2})?")
_FMTP = re.compile(r"([0-9]{1,3})[ \t]+(.*)")


@dataclass
class MediaDesc:
    """One m= section. `direction` already falls back to the session's."""

    media: str
    port: int
    proto: str
    formats: list[int]
    rtpmap: dict[int, tuple[str, int]] = field(default_factory=dict)
    fmtp: dict[int, str] = field(default_factory=dict)
    direction: str = "sendrecv"
    host: str | None = None
    ptime: int | None = None


@dataclass
class SessionDesc:
    origin: str
    host: str | None
    media: list[MediaDesc]
    direction: str = "sendrecv"


def parse_sdp(data: bytes | str) -> SessionDesc:
    """Parse a session description; `SdpError` if it is malformed."""
    text = _decode(data)
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    if not lines or lines[0].strip() != "v=0":
        raise SdpError("SDP must start with v=0")
    session = SessionDesc(origin="", host=None, media=[])
    for line in lines[1:]:
        match = _LINE.fullmatch(line)
        if match is None:
            raise SdpError(f"bad SDP line {line[:60]!r}")
        kind, value = match.groups()
        current = session.media[-1] if session.media else None
        if kind == "m":
            session.media.append(_parse_media(value, session.direction))
        elif kind == "o" and current is None:
            session.origin = value
        elif kind == "c":
            host = _parse_connection(value)
            if current is None:
                session.host = host
            else:
                current.host = host
        elif kind == "a":
            _apply_attribute(value, session, current)
    for media in session.media:
        for payload_type in media.formats:
            if payload_type in STATIC_PAYLOAD_TYPES:
                media.rtpmap.setdefault(payload_type, STATIC_PAYLOAD_TYPES[payload_type])
    return session


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None


def _parse_media(value: str, session_direction: str) -> MediaDesc:
    parts = value.split()
    if len(parts) < 3:
        raise SdpError(f"bad m= line {value[:60]!r}")
    media, port_text, proto = parts[0], parts[1].split("/", 1)[0], parts[2]
    if not _DIGITS.fullmatch(port_text) or len(port_text) > 5 or int(port_text) > 65_535:
        raise SdpError(f"bad media port {parts[1][:20]!r}")
    formats = []
    if "RTP" in proto.upper():
        for text in parts[3:]:
            if not _DIGITS.fullmatch(text) or int(text) > 127:
                raise SdpError(f"bad RTP payload type {text[:10]!r}")
            formats.append(int(text))
    return MediaDesc(media, int(port_text), proto, formats, direction=session_direction)


def _parse_connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"bad c= line {value[:60]!r}")
    host = parts[2].split("/", 1)[0]  # drop a multicast TTL or address count
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.fullmatch(host):
            raise SdpError(f"bad connection address {host[:60]!r}") from None
        return host
    if address.version != (4 if parts[1] == "IP4" else 6):
        raise SdpError(f"{parts[1]} with address {host!r}")
    return host


def _apply_attribute(value: str, session: SessionDesc, media: MediaDesc | None) -> None:
    name, _, rest = value.partition(":")
    if name in DIRECTIONS:
        if media is None:
            session.direction = name
        else:
            media.direction = name
        return
    if media is None:
        return
    if name == "rtpmap":
        match = _RTPMAP.fullmatch(rest.strip())
        if match is None:
            raise SdpError(f"bad rtpmap {rest[:60]!r}")
        media.rtpmap[int(match.group(1))] = (match.group(2).upper(), int(match.group(3)))
    elif name == "fmtp":
        match = _FMTP.fullmatch(rest.strip())
        if match is None:
            raise SdpError(f"bad fmtp {rest[:60]!r}")
        media.fmtp[int(match.group(1))] = match.group(2).strip()
    elif name == "ptime":
        ptime = rest.strip().split(".", 1)[0]
        if not _DIGITS.fullmatch(ptime) or not 1 <= int(ptime) <= 1000:
            raise SdpError(f"bad ptime {rest[:20]!r}")
        media.ptime = int(ptime)


@dataclass
class AudioChoice:
    """What to send and where: the codec picked from an offer or answer."""

    payload_type: int
    codec: str
    dtmf_payload_type: int | None
    host: str
    port: int
    direction: str


def choose_audio(offer: SessionDesc, supported: tuple[str, ...] = ("PCMU", "PCMA")) -> AudioChoice:
    """The first usable plain-RTP audio stream and, in the offer's order of
    preference, the first codec we support; `SdpError` if there is none."""
    wanted = {name.upper() for name in supported}
    media = next(
        (
            each
            for each in offer.media
            if each.media == "audio" and each.port != 0 and each.proto in PLAIN_RTP_PROFILES
        ),
        None,
    )
    if media is None:
        raise SdpError("no active RTP audio stream")
    codec = next(
        (
            (payload_type, media.rtpmap[payload_type][0])
            for payload_type in media.formats
            if media.rtpmap.get(payload_type, ("", 0))[0] in wanted
        ),
        None,
    )
    if codec is None:
        raise SdpError("no common codec")
    host = media.host or offer.host
    if host is None:
        raise SdpError("no connection address")
    return AudioChoice(
        payload_type=codec[0],
        codec=codec[1],
        dtmf_payload_type=_telephone_event(media),
        host=host,
        port=media.port,
        direction=media.direction,
    )


def _telephone_event(media: MediaDesc) -> int | None:
    for payload_type in media.formats:
        if media.rtpmap.get(payload_type) == ("TELEPHONE-EVENT", 8000):
            return payload_type
    return None


def build_sdp(
    *,
    host: str,
    port: int,
    codecs: list[tuple[int, str]],
    dtmf_payload_type: int | None = 101,
    direction: str = "sendrecv",
    session_id: int,
    version: int = 1,
    ptime: int = 20,
) -> bytes:
    """Our audio session description, CRLF-terminated lines."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    address_type = "IP6" if ":" in host else "IP4"
    payload_types = [payload_type for payload_type, _ in codecs]
    if dtmf_payload_type is not None:
        payload_types.append(dtmf_payload_type)
    lines = [
        "v=0",
        f"o=hotline {session_id} {version} IN {address_type} {host}",
        "s=Hotline",
        f"c=IN {address_type} {host}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(str(pt) for pt in payload_types)}",
        *(f"a=rtpmap:{payload_type} {name}/8000" for payload_type, name in codecs),
    ]
    if dtmf_payload_type is not None:
        lines.append(f"a=rtpmap:{dtmf_payload_type} telephone-event/8000")
        lines.append(f"a=fmtp:{dtmf_payload_type} 0-16")
    lines.append(f"a=ptime:{ptime}")
    lines.append(f"a={direction}")
    return ("\r\n".join(lines) + "\r\n").encode()
