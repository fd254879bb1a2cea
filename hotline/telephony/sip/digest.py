"""HTTP digest authentication as SIP uses it (RFC 2617, RFC 7616 for SHA-256),
both sides: challenging and verifying phones that REGISTER or call, and
answering a carrier trunk's challenge. `AuthGuard` bans addresses that keep
failing, so a password scanner on the public port gets nowhere fast.
"""

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from hotline.telephony.sip.message import SipError, unquote

_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~")


def _hash(algorithm: str, text: str) -> str:
    try:
        function = _HASHES[algorithm.upper()]
    except KeyError:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}") from None
    # MD5 is what SIP phones speak; the flag keeps it available on FIPS builds.
    return function(text.encode(), usedforsecurity=False).hexdigest()


def ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """H(username:realm:password), the secret a server stores instead of the password."""
    return _hash(algorithm, f"{username}:{realm}:{password}")


class NonceSource:
    """Stateless nonces: the issue time and an HMAC of it, so any process
    holding the secret can check a nonce without remembering it."""

    def __init__(
        self, secret: bytes, lifetime_s: int = 300, clock: Callable[[], float] = time.time
    ):
        self.secret, self.lifetime_s, self.clock = secret, lifetime_s, clock

    def _mac(self, timestamp: str) -> str:
        return hmac.new(self.secret, timestamp.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self) -> str:
        timestamp = f"{int(self.clock()):x}"
        return f"{timestamp}.{self._mac(timestamp)}"

    def check(self, nonce: str) -> str:
        """ "ok", "stale" (genuine but expired: the client may retry at once) or "bad"."""
        timestamp, dot, mac = nonce.partition(".")
        if not dot or not 0 < len(timestamp) <= 16 or len(mac) != 32:
            return "bad"
        try:
            issued = int(timestamp, 16)
        except ValueError:
            return "bad"
        if not hmac.compare_digest(mac, self._mac(timestamp)):
            return "bad"
        return "stale" if self.clock() - issued > self.lifetime_s else "ok"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def challenge(realm: str, nonce: str, *, algorithm: str = "MD5", stale: bool = False) -> str:
    """The value of a WWW-Authenticate or Proxy-Authenticate header."""
    value = (
        f'Digest realm={_quote(realm)}, nonce={_quote(nonce)}, algorithm={algorithm}, qop="auth"'
    )
    return value + (", stale=true" if stale else "")


def parse_digest(value: str) -> dict[str, str]:
    """`Digest k=v, k="v", …` → {k: v} with lower-case keys and unquoted values."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise SipError("not a Digest credential or challenge")
    params: dict[str, str] = {}
    text = rest.strip()
    while text:
        name, value_text = _take_name(text)
        parsed, text = _take_value(value_text)
        if name in params:
            raise SipError(f"repeated digest parameter {name!r}")
        params[name] = parsed
        text = text.lstrip(" \t")
        if text:
            if not text.startswith(","):
                raise SipError("digest parameters must be separated by commas")
            text = text[1:].lstrip(" \t")
            if not text:
                raise SipError("trailing comma in digest parameters")
    if not params:
        raise SipError("empty digest parameters")
    return params


def _take_name(text: str) -> tuple[str, str]:
    name, equals, rest = text.partition("=")
    name = name.strip().lower()
    if not equals or not name or not set(name) <= _TOKEN_CHARS:
        raise SipError(f"bad digest parameter {text[:40]!r}")
    return name, rest.lstrip(" \t")


def _take_value(text: str) -> tuple[str, str]:
    """One token or quoted string at the start of `text`: (value, rest)."""
    if text.startswith('"'):
        return unquote(text)
    end = 0
    while end < len(text) and text[end] in _TOKEN_CHARS:
        end += 1
    if end == 0:
        raise SipError(f"bad digest value {text[:40]!r}")
    return text[:end], text[end:]


def _response(params: dict[str, str], *, method: str, ha1_hex: str, algorithm: str) -> str | None:
    """The expected `response` for these parameters; None if they are incomplete."""
    try:
        nonce, uri = params["nonce"], params["uri"]
    except KeyError:
        return None
    ha2 = _hash(algorithm, f"{method}:{uri}")
    qop = params.get("qop")
    if qop is None:
        return _hash(algorithm, f"{ha1_hex}:{nonce}:{ha2}")
    if qop.lower() != "auth" or "nc" not in params or "cnonce" not in params:
        return None
    return _hash(algorithm, f"{ha1_hex}:{nonce}:{params['nc']}:{params['cnonce']}:{qop}:{ha2}")


def verify(params: dict[str, str], *, method: str, ha1_hex: str) -> bool:
    """Whether the credentials' `response` is right for this method and HA1.

    The caller checks the username, realm, nonce freshness and that `uri`
    names the request; this only checks the arithmetic.
    """
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in _HASHES or "response" not in params or not ha1_hex:
        return False
    expected = _response(params, method=method, ha1_hex=ha1_hex.lower(), algorithm=algorithm)
    if expected is None:
        return False
    return hmac.compare_digest(expected.encode(), params["response"].lower().encode())


def authorization(
    challenge_value: str,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    cnonce: str | None = None,
    nc: int = 1,
) -> str:
    """The Authorization / Proxy-Authorization value answering a 401/407 challenge."""
    offered = parse_digest(challenge_value)
    realm, nonce = offered.get("realm"), offered.get("nonce")
    if realm is None or nonce is None:
        raise SipError("digest challenge without realm or nonce")
    algorithm = offered.get("algorithm", "MD5").upper()
    if algorithm not in _HASHES:
        raise SipError(f"unsupported digest algorithm {algorithm!r}")
    answer = {"username": username, "realm": realm, "nonce": nonce, "uri": uri}
    qops = {each.strip().lower() for each in offered.get("qop", "").split(",")}
    if "auth" in qops:
        answer.update(qop="auth", nc=f"{nc:08x}", cnonce=cnonce or secrets.token_hex(8))
    secret = ha1(username, realm, password, algorithm)
    answer["response"] = _response(answer, method=method, ha1_hex=secret, algorithm=algorithm)
    parts = [f"{name}={_quote(answer[name])}" for name in ("username", "realm", "nonce", "uri")]
    parts.append(f"response={_quote(answer['response'])}")
    parts.append(f"algorithm={algorithm}")
    if "opaque" in offered:
        parts.append(f"opaque={_quote(offered['opaque'])}")
    if "qop" in answer:
        parts.append(f"qop=auth, nc={answer['nc']}, cnonce={_quote(answer['cnonce'])}")
    return "Digest " + ", ".join(parts)


class AuthGuard:
    """Counts failed authentications per source address and bans an address
    that fails `max_failures` times within `window_s` for `ban_s` seconds.

    Memory stays bounded: stale entries are dropped as new ones arrive and
    each table holds at most `max_entries` addresses, the oldest going first.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_s: float = 60,
        ban_s: float = 600,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ):
        self.max_failures, self.window_s, self.ban_s = max_failures, window_s, ban_s
        self.clock, self.max_entries = clock, max_entries
        # Both ordered oldest activity first, which makes pruning cheap.
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._bans: OrderedDict[str, float] = OrderedDict()

    def banned(self, addr: str) -> bool:
        until = self._bans.get(addr)
        if until is None:
            return False
        if self.clock() < until:
            return True
        del self._bans[addr]
        return False

    def failure(self, addr: str) -> bool:
        """Record a failure; True when this one gets the address banned."""
        now = self.clock()
        self._prune(now)
        if self.banned(addr):
            return False
        times = self._failures.pop(addr, None) or deque()
        times.append(now)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) >= self.max_failures:
            self._bans[addr] = now + self.ban_s
            self._bans.move_to_end(addr)
            while len(self._bans) > self.max_entries:
                self._bans.popitem(last=False)
            return True
        self._failures[addr] = times
        while len(self._failures) > self.max_entries:
            self._failures.popitem(last=False)
        return False

    def success(self, addr: str) -> None:
        self._failures.pop(addr, None)

    def bans(self) -> dict[str, float]:
        """Addresses banned now, with the clock time each ban ends."""
        now = self.clock()
        return {addr: until for addr, until in self._bans.items() if until > now}

    def _prune(self, now: float) -> None:
        while self._failures:
            addr, times = next(iter(self._failures.items()))
            if times[-1] > now - self.window_s:
                break
            del self._failures[addr]
        while self._bans:
            addr, until = next(iter(self._bans.items()))
            if until > now:
                break
            del self._bans[addr]
