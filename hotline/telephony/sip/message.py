"""SIP messages (RFC 3261 syntax): parse bytes from the network into requests
and responses, build them, and encode them back to bytes.

Parsing is strict where a mistake would confuse call control (start line,
mandatory headers, CSeq, Content-Length) and lenient where real phones are
sloppy (LF-only line ends, header folding, compact header names). Every
problem with input is a `SipError`; nothing else escapes the parse
functions. Header values stay raw strings until an accessor asks for them,
then the parsed value is cached until the headers change.
"""

import functools
import ipaddress
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

MAX_MESSAGE_BYTES = 65_535
MAX_HEADERS = 200
MAX_CSEQ = 2**31 - 1


class SipError(ValueError):
    """Malformed SIP input."""


_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()%&=+$,;?/#]+")
_PASSWORD = re.compile(r"[A-Za-z0-9\-_.!~*'()%&=+$,]*")
_TEL_NUMBER = re.compile(r"[0-9A-Fa-f*#+\-.()pPwW]+")
_URI_PARAM = re.compile(r"[A-Za-z0-9\-_.!~*'()%\[\]/:&+$]*")
_URI_HEADER = re.compile(r"[A-Za-z0-9\-_.!~*'()%\[\]/?:+$]*")
_CALL_ID = re.compile(r"[^\s]+")
_CSEQ = re.compile(r"([0-9]{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)")
_DIGITS = re.compile(r"[0-9]+")
_SPACED_COLON = re.compile(r"[ \t]*:[ \t]*")
_VIA_PROTOCOL = re.compile(
    r"SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+", re.I
)

# RFC 3261 7.3.3 and later RFCs: one-letter header names.
COMPACT_FORMS = {
    "i": "call-id",
    "m": "contact",
    "e": "content-encoding",
    "l": "content-length",
    "c": "content-type",
    "f": "from",
    "s": "subject",
    "k": "supported",
    "t": "to",
    "v": "via",
    "r": "refer-to",
    "b": "referred-by",
    "o": "event",
    "u": "allow-events",
    "x": "session-expires",
}

# Names whose usual spelling is not simply "Each-Word-Capitalised".
_SPECIAL_NAMES = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "rack": "RAck",
    "rseq": "RSeq",
    "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match",
    "min-se": "Min-SE",
}

# Headers whose comma-separated values are separate entries (RFC 3261 7.3.1).
_LIST_HEADERS = frozenset(
    {
        "via",
        "route",
        "record-route",
        "contact",
        "allow",
        "supported",
        "accept",
        "accept-encoding",
        "accept-language",
        "require",
        "proxy-require",
        "unsupported",
        "allow-events",
        "path",
        "service-route",
    }
)
_SINGLE_HEADERS = ("from", "to", "call-id", "cseq", "content-length")
_MANDATORY_HEADERS = ("to", "from", "call-id", "cseq", "via")
_DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER"})

REASON_PHRASES = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    504: "Server Time-out",
    600: "Busy Everywhere",
    603: "Decline",
}
_CLASS_REASONS = {
    1: "Provisional",
    2: "Success",
    3: "Redirection",
    4: "Request Failure",
    5: "Server Failure",
    6: "Global Failure",
}


# --- small syntax helpers ---


def header_key(name: str) -> str:
    """The lookup key of a header name: lower case, compact form expanded."""
    key = name.strip().lower()
    return COMPACT_FORMS.get(key, key)


def canonical_name(name: str) -> str:
    """How a header name is written on output: `call-id`, `i` → `Call-ID`; `x-foo` → `X-Foo`."""
    return _canonical_key(header_key(name))


@functools.lru_cache(maxsize=2048)
def _canonical_key(key: str) -> str:
    return _SPECIAL_NAMES.get(key) or "-".join(part.capitalize() for part in key.split("-"))


def split_top_level(value: str, separator: str = ",") -> list[str]:
    """Split on `separator` outside double quotes and angle brackets; items stripped."""
    if separator not in value:
        item = value.strip()
        return [item] if item else []
    items, start, quoted, angle, escaped = [], 0, False, False, False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            angle = True
        elif char == ">":
            angle = False
        elif char == separator and not angle:
            items.append(value[start:index].strip())
            start = index + 1
    if quoted:
        raise SipError("unterminated quoted string")
    items.append(value[start:].strip())
    return [item for item in items if item]


def _parse_port(text: str) -> int:
    if not _DIGITS.fullmatch(text) or len(text) > 5 or int(text) > 65_535:
        raise SipError(f"bad port {text!r}")
    return int(text)


@functools.lru_cache(maxsize=4096)  # the same few peers send most messages
def _check_host(host: str) -> str:
    if not host:
        raise SipError("empty host")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise SipError(f"bad IPv6 address {host!r}") from None
    elif _DOTTED_NUMBERS.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise SipError(f"bad IPv4 address {host!r}") from None
    elif not _HOSTNAME.fullmatch(host):
        raise SipError(f"bad host {host!r}")
    return host


def parse_hostport(text: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]` or `[v6]:port` → (host without brackets, port)."""
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise SipError("unclosed IPv6 reference")
        host, rest = text[1:close], text[close + 1 :]
        if ":" not in host:
            raise SipError(f"bad IPv6 reference {text!r}")
        if rest and not rest.startswith(":"):
            raise SipError(f"bad host and port {text!r}")
        return _check_host(host), _parse_port(rest[1:]) if rest else None
    host, colon, port = text.partition(":")
    return _check_host(host), _parse_port(port) if colon else None


def format_host(host: str, port: int | None = None) -> str:
    text = f"[{host}]" if ":" in host else host
    return text if port is None else f"{text}:{port}"


def _parse_generic_params(text: str) -> dict[str, str | None]:
    """`;a=1;b;c="x;y"` (leading ';' optional) → {"a": "1", "b": None, "c": '"x;y"'}.

    Names are lower-cased; values are kept as written (quotes included) so
    that they round-trip.
    """
    params: dict[str, str | None] = {}
    for item in split_top_level(text, ";"):
        name, equals, value = item.partition("=")
        name = name.strip().lower()
        if not _TOKEN.fullmatch(name):
            raise SipError(f"bad parameter {item!r}")
        value = value.strip()
        if equals:
            if value.startswith('"'):
                if len(value) < 2 or not value.endswith('"'):
                    raise SipError(f"bad quoted parameter {item!r}")
            elif not value or any(char in value for char in ' \t"<>,'):
                raise SipError(f"bad parameter value {item!r}")
        params[name] = value if equals else None
    return params


def _format_params(params: dict[str, str | None]) -> str:
    return "".join(
        f";{name}" if value is None else f";{name}={value}" for name, value in params.items()
    )


def unquote(text: str) -> tuple[str, str]:
    """Parse a quoted string at the start of `text`: (its content, the rest)."""
    chars, index = [], 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(chars), text[index + 1 :]
        chars.append(char)
        index += 1
    raise SipError("unterminated quoted string")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- URI, name-addr, Via ---


@dataclass
class Uri:
    """A sip:, sips: or tel: URI. The user part is kept as written (escapes
    included); a tel: URI keeps its number in `user` and has an empty host."""

    scheme: str
    user: str | None
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    password: str | None = None

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user}{_format_params(self.params)}"
        userinfo = ""
        if self.user:
            password = "" if self.password is None else f":{self.password}"
            userinfo = f"{self.user}{password}@"
        text = f"{self.scheme}:{userinfo}{format_host(self.host, self.port)}"
        text += _format_params(self.params)
        if self.headers:
            text += "?" + "&".join(f"{name}={value}" for name, value in self.headers.items())
        return text

    @classmethod
    def parse(cls, text: str) -> "Uri":
        scheme, colon, rest = text.partition(":")
        if not colon or not _SCHEME.fullmatch(scheme):
            raise SipError(f"bad URI {text[:80]!r}")
        scheme = scheme.lower()
        if scheme == "tel":
            return cls._parse_tel(rest)
        if scheme not in ("sip", "sips"):
            raise SipError(f"unsupported URI scheme {scheme!r}")
        user = password = None
        at = rest.find("@")
        if at >= 0:
            user, colon, secret = rest[:at].partition(":")
            if not _USER.fullmatch(user):
                raise SipError(f"bad user part in {text[:80]!r}")
            if colon:
                if not _PASSWORD.fullmatch(secret):
                    raise SipError(f"bad password in {text[:80]!r}")
                password = secret
            rest = rest[at + 1 :]
        before_headers, question, headers_text = rest.partition("?")
        hostport, _, params_text = before_headers.partition(";")
        host, port = parse_hostport(hostport)
        params = _parse_uri_params(params_text) if params_text else {}
        headers = _parse_uri_headers(headers_text) if question else {}
        return cls(scheme, user, host, port, params, headers, password)

    @classmethod
    def _parse_tel(cls, rest: str) -> "Uri":
        number, _, params_text = rest.partition(";")
        if not _TEL_NUMBER.fullmatch(number):
            raise SipError(f"bad tel: number {number[:40]!r}")
        params = _parse_uri_params(params_text) if params_text else {}
        return cls("tel", number, "", None, params)


def _parse_uri_params(text: str) -> dict[str, str | None]:
    params: dict[str, str | None] = {}
    for item in text.split(";"):
        name, equals, value = item.partition("=")
        if not name or not _URI_PARAM.fullmatch(name) or not _URI_PARAM.fullmatch(value):
            raise SipError(f"bad URI parameter {item[:40]!r}")
        params[name.lower()] = value if equals else None
    return params


def _parse_uri_headers(text: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in text.split("&"):
        name, equals, value = item.partition("=")
        if not name or not equals or not _URI_HEADER.fullmatch(name + value):
            raise SipError(f"bad URI header {item[:40]!r}")
        headers[name] = value
    return headers


@dataclass
class Address:
    """A name-addr or addr-spec with header parameters: `"Alice" <sip:a@h>;tag=xyz`."""

    uri: Uri
    display: str | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def tag(self) -> str | None:
        return self.params.get("tag")

    def __str__(self) -> str:
        display = f"{_quote(self.display)} " if self.display else ""
        return f"{display}<{self.uri}>{_format_params(self.params)}"

    @classmethod
    def parse(cls, text: str) -> "Address":
        text = text.strip()
        display = None
        if text.startswith('"'):
            display, rest = unquote(text)
            display = display or None
            rest = rest.lstrip(" \t")
            if not rest.startswith("<"):
                raise SipError("display name without <URI>")
        elif "<" in text:
            before, rest = text.split("<", 1)
            rest = "<" + rest
            words = before.split()
            if any(not _TOKEN.fullmatch(word) for word in words):
                raise SipError(f"bad display name {before[:40]!r}")
            display = " ".join(words) or None
        else:  # addr-spec: parameters after the URI belong to the header (RFC 3261 20.10)
            uri_text, _, params_text = text.partition(";")
            if not uri_text or any(char.isspace() for char in uri_text):
                raise SipError(f"bad address {text[:80]!r}")
            return cls(Uri.parse(uri_text), None, _parse_generic_params(params_text))
        close = rest.find(">")
        if close < 0:
            raise SipError("unclosed <URI>")
        uri = Uri.parse(rest[1:close])
        params_text = rest[close + 1 :].strip()
        if params_text and not params_text.startswith(";"):
            raise SipError(f"junk after address {params_text[:40]!r}")
        return cls(uri, display, _parse_generic_params(params_text))


@dataclass
class Via:
    """One Via entry: `SIP/2.0/UDP host:port;branch=z9hG4bK...;rport`."""

    transport: str
    host: str
    port: int | None = None
    params: dict[str, str | None] = field(default_factory=dict)

    @property
    def branch(self) -> str | None:
        return self.params.get("branch")

    def __str__(self) -> str:
        sent_by = format_host(self.host, self.port)
        return f"SIP/2.0/{self.transport} {sent_by}{_format_params(self.params)}"

    @classmethod
    def parse(cls, text: str) -> "Via":
        match = _VIA_PROTOCOL.match(text.strip())
        if match is None:
            raise SipError(f"bad Via {text[:80]!r}")
        rest = text.strip()[match.end() :]
        hostport, semicolon, params_text = rest.partition(";")
        host, port = parse_hostport(_SPACED_COLON.sub(":", hostport.strip()))
        params = _parse_generic_params(params_text) if semicolon else {}
        return cls(match.group(1).upper(), host, port, params)


# --- headers ---


class Headers:
    """Ordered multimap of header fields with case-insensitive names.

    Compact and long names are the same header; output uses the canonical
    spelling. `get_all` splits comma lists for headers that may be combined
    on one line (Via, Route, Contact, Allow …).
    """

    __slots__ = ("_items", "version")

    def __init__(self, items: Iterable[tuple[str, str]] = ()):
        self._items: list[tuple[str, str, str]] = []  # (key, output name, value)
        self.version = 0
        for name, value in items:
            self.add(name, value)

    @classmethod
    def _from_parsed(cls, items: list[tuple[str, str, str]]) -> "Headers":
        headers = cls.__new__(cls)
        headers._items = items
        headers.version = 0
        return headers

    def get(self, name: str) -> str | None:
        key = header_key(name)
        for item_key, _, value in self._items:
            if item_key == key:
                return value
        return None

    def get_all(self, name: str) -> list[str]:
        key = header_key(name)
        values = [value for item_key, _, value in self._items if item_key == key]
        if key not in _LIST_HEADERS:
            return values
        return [item for value in values for item in split_top_level(value)]

    def set(self, name: str, value: str) -> None:
        """Replace every field of this name by one, where the first one was."""
        key = header_key(name)
        position = next((i for i, item in enumerate(self._items) if item[0] == key), None)
        self.remove(name)
        entry = (key, canonical_name(name), _check_value(value))
        self._items.insert(len(self._items) if position is None else position, entry)
        self.version += 1

    def add(self, name: str, value: str, *, first: bool = False) -> None:
        """Append a field; with `first`, put it before the other fields of that
        name (or at the top if there are none), as a proxy does with Via."""
        key = header_key(name)
        entry = (key, canonical_name(name), _check_value(value))
        if first:
            position = next((i for i, item in enumerate(self._items) if item[0] == key), 0)
            self._items.insert(position, entry)
        else:
            self._items.append(entry)
        self.version += 1

    def remove(self, name: str) -> None:
        key = header_key(name)
        self._items = [item for item in self._items if item[0] != key]
        self.version += 1

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = header_key(name)
        return any(item[0] == key for item in self._items)

    def items(self) -> list[tuple[str, str]]:
        return [(name, value) for _, name, value in self._items]

    def copy(self) -> "Headers":
        return Headers._from_parsed(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return [(k, v) for k, _, v in self._items] == [(k, v) for k, _, v in other._items]

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"

    def _raw(self, key: str) -> list[str]:
        return [value for item_key, _, value in self._items if item_key == key]


def _check_value(value: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"header value must be str, not {type(value).__name__}")
    if "\r" in value or "\n" in value:
        raise ValueError("header value with a line break")
    return value


# --- messages ---

T = TypeVar("T")


class Message:
    """What requests and responses share: headers, body and typed accessors.

    Accessors parse on first use and cache until the headers change; they
    raise `SipError` for a missing or malformed header.
    """

    headers: "Headers"
    body: bytes

    def _cached(self, key: str, parse: Callable[[], T]) -> T:
        cache = self.__dict__.setdefault("_cache", {})
        headers = self.headers
        entry = cache.get(key)
        if entry is not None and entry[0] is headers and entry[1] == headers.version:
            return entry[2]
        value = parse()
        cache[key] = (headers, headers.version, value)
        return value

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipError(f"missing {canonical_name(name)}")
        return value

    @property
    def call_id(self) -> str:
        return self._cached("call-id", self._parse_call_id)

    def _parse_call_id(self) -> str:
        value = self._required("Call-ID").strip()
        if not _CALL_ID.fullmatch(value):
            raise SipError("bad Call-ID")
        return value

    @property
    def cseq(self) -> tuple[int, str]:
        return self._cached("cseq", self._parse_cseq)

    def _parse_cseq(self) -> tuple[int, str]:
        match = _CSEQ.fullmatch(self._required("CSeq").strip())
        if match is None or int(match.group(1)) > MAX_CSEQ:
            raise SipError("bad CSeq")
        return int(match.group(1)), match.group(2)

    @property
    def from_(self) -> Address:
        return self._cached("from", lambda: Address.parse(self._required("From")))

    @property
    def to(self) -> Address:
        return self._cached("to", lambda: Address.parse(self._required("To")))

    @property
    def vias(self) -> list[Via]:
        return self._cached("via", lambda: [Via.parse(v) for v in self.headers.get_all("Via")])

    @property
    def contacts(self) -> list[Address]:
        """The Contact addresses; empty for `Contact: *` (see `contact_star`)."""
        return self._cached("contact", self._parse_contacts)

    def _parse_contacts(self) -> list[Address]:
        values = self.headers.get_all("Contact")
        if values == ["*"]:
            return []
        if "*" in values:
            raise SipError("Contact: * mixed with addresses")
        return [Address.parse(value) for value in values]

    @property
    def contact_star(self) -> bool:
        return self.headers.get_all("Contact") == ["*"]

    @property
    def content_type(self) -> str | None:
        """The Content-Type with its media type lower-cased, parameters as written."""
        value = self.headers.get("Content-Type")
        if value is None:
            return None
        media_type, semicolon, params = value.strip().partition(";")
        return media_type.strip().lower() + semicolon + params

    def start_line(self) -> str:
        raise NotImplementedError

    def encode(self) -> bytes:
        """The message as bytes with CRLF line ends and a correct Content-Length."""
        lines = [self.start_line()]
        lines.extend(
            f"{name}: {value}"
            for key, name, value in self.headers._items
            if key != "content-length"
        )
        lines.append(f"Content-Length: {len(self.body)}")
        head = "\r\n".join(lines) + "\r\n\r\n"
        return head.encode() + bytes(self.body)


@dataclass(eq=True)
class Request(Message):
    method: str
    uri: Uri
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        return f"{self.method} {self.uri} SIP/2.0"


@dataclass(eq=True)
class Response(Message):
    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        return f"SIP/2.0 {self.status} {self.reason}"


# --- parsing ---


def _header_end(data: bytes | bytearray) -> tuple[int, int]:
    """Where the header block ends and the length of the blank line; (-1, 0) if not found."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf, 2
    return (crlf, 4) if crlf >= 0 else (-1, 0)


def parse_message(data: bytes) -> Request | Response:
    """Parse one SIP message; `SipError` if it is not a valid one."""
    if not data:
        raise SipError("empty message")
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipError("message too large")
    data = bytes(data).lstrip(b"\r\n")
    end, separator = _header_end(data)
    if end < 0:
        raise SipError("no end of headers")
    try:
        head = data[:end].decode("utf-8")
    except UnicodeDecodeError:
        raise SipError("header bytes are not UTF-8") from None
    if "\x00" in head or head.count("\r") != head.count("\r\n"):
        raise SipError("control characters in headers")
    lines = head.replace("\r\n", "\n").split("\n")
    headers = Headers._from_parsed(_parse_header_lines(lines[1:]))
    message = _start_line(lines[0], headers)
    message.body = _body(data[end + separator :], headers)
    _validate(message)
    return message


def _start_line(line: str, headers: Headers) -> Request | Response:
    if line.startswith("SIP/2.0 ") or line[:8].upper() == "SIP/2.0 ":
        parts = line.split(" ", 2)
        status = parts[1]
        if len(status) != 3 or not status.isdigit() or not 100 <= int(status) <= 699:
            raise SipError(f"bad status code {status[:10]!r}")
        return Response(int(status), parts[2] if len(parts) > 2 else "", headers)
    parts = line.split(" ")
    if len(parts) != 3:
        raise SipError(f"bad start line {line[:80]!r}")
    method, uri, version = parts
    if not _TOKEN.fullmatch(method):
        raise SipError(f"bad method {method[:20]!r}")
    if version.upper() != "SIP/2.0":
        raise SipError(f"unsupported SIP version {version[:20]!r}")
    return Request(method, Uri.parse(uri), headers)


def _parse_header_lines(lines: list[str]) -> list[tuple[str, str, str]]:
    items: list[tuple[str, str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t"):  # folded continuation of the previous field
            if not items:
                raise SipError("continuation line before the first header")
            key, name, value = items[-1]
            items[-1] = (key, name, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not _TOKEN.fullmatch(name):
            raise SipError(f"bad header line {line[:80]!r}")
        key = name.lower()
        key = COMPACT_FORMS.get(key, key)
        items.append((key, _canonical_key(key), value.strip()))
        if len(items) > MAX_HEADERS:
            raise SipError("too many headers")
    return items


def _body(rest: bytes, headers: Headers) -> bytes:
    length = headers.get("Content-Length")
    if length is None:
        return rest
    length = length.strip()
    if not _DIGITS.fullmatch(length) or len(length) > 9:
        raise SipError("bad Content-Length")
    if int(length) > len(rest):
        raise SipError("body shorter than Content-Length")
    return rest[: int(length)]


def _validate(message: Request | Response) -> None:
    """Check what every later step relies on, warming the accessor cache on the way."""
    counts = Counter(item[0] for item in message.headers._items)
    for key in _SINGLE_HEADERS:
        if counts[key] > 1:
            raise SipError(f"more than one {_canonical_key(key)}")
    for key in _MANDATORY_HEADERS:
        if not counts[key]:
            raise SipError(f"missing {_canonical_key(key)}")
    message.call_id  # noqa: B018 - parse now so that a bad value is rejected here
    message.from_  # noqa: B018
    message.to  # noqa: B018
    if not message.vias:
        raise SipError("empty Via")
    _, method = message.cseq
    if isinstance(message, Request) and method != message.method:
        raise SipError("CSeq method does not match the request method")


def frame_stream(buffer: bytearray) -> bytes | None:
    """Take one complete message off the front of a stream (TCP) buffer.

    Returns None while more bytes are needed. Leading CRLFs (keep-alives)
    are dropped. A stream needs Content-Length to find where a message ends,
    so its absence, an invalid value or an endless header block is a
    `SipError`: the connection is beyond repair.
    """
    skip = 0
    while skip < len(buffer) and buffer[skip] in (10, 13):
        skip += 1
    if skip:
        del buffer[:skip]
    if not buffer:
        return None
    end, separator = _header_end(buffer)
    if end < 0:
        if len(buffer) > MAX_MESSAGE_BYTES:
            raise SipError("header block too large")
        return None
    total = end + separator + _stream_content_length(bytes(buffer[:end]))
    if total > MAX_MESSAGE_BYTES:
        raise SipError("message too large")
    if len(buffer) < total:
        return None
    message = bytes(buffer[:total])
    del buffer[:total]
    return message


def _stream_content_length(head: bytes) -> int:
    found = None
    for line in head.decode("latin-1").split("\n"):
        name, colon, value = line.partition(":")
        if colon and line[:1] not in (" ", "\t") and header_key(name) == "content-length":
            value = value.strip()
            if not _DIGITS.fullmatch(value) or len(value) > 9:
                raise SipError("bad Content-Length")
            if found is not None and found != int(value):
                raise SipError("conflicting Content-Length")
            found = int(value)
    if found is None:
        raise SipError("Content-Length is required on a stream transport")
    return found


# --- building ---


def make_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """A response to `request` (RFC 3261 8.2.6): Via, From, To, Call-ID and CSeq
    copied, To tagged with `to_tag` unless it has a tag already, Record-Route
    copied into responses that establish a dialog."""
    if not 100 <= status <= 699:
        raise ValueError(f"status {status} out of range")
    if body and not content_type:
        raise ValueError("a response with a body needs a content_type")
    if reason is None:
        reason = REASON_PHRASES.get(status) or _CLASS_REASONS[status // 100]
    raw = request.headers._raw
    response = Response(status, reason, Headers())
    add = response.headers.add
    for via in raw("via"):
        add("Via", via)
    add("From", request.headers.get("From") or "")
    to = request.headers.get("To") or ""
    if to_tag and request.to.tag is None:
        to = f"{to};tag={to_tag}"
    add("To", to)
    add("Call-ID", request.headers.get("Call-ID") or "")
    add("CSeq", request.headers.get("CSeq") or "")
    if 101 <= status <= 299 and request.method in _DIALOG_CREATING:
        for route in raw("record-route"):
            add("Record-Route", route)
    for name, value in headers:
        add(name, value)
    if body:
        add("Content-Type", content_type)
    response.body = body
    return response


def new_branch() -> str:
    """A Via branch with the RFC 3261 magic cookie."""
    return "z9hG4bK" + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)


def new_call_id(host: str) -> str:
    return f"{secrets.token_hex(12)}@{host}"
