"""Digest authentication (both sides), nonces and the failed-auth guard."""

import hashlib

import pytest

from hotline.telephony.sip.digest import (
    AuthGuard,
    NonceSource,
    authorization,
    challenge,
    ha1,
    parse_digest,
    verify,
)
from hotline.telephony.sip.message import SipError


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class FakeClock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


# RFC 2617 section 3.5: the Mufasa example.
RFC2617 = {
    "username": "Mufasa",
    "realm": "testrealm@host.com",
    "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
    "uri": "/dir/index.html",
    "qop": "auth",
    "nc": "00000001",
    "cnonce": "0a4f113b",
    "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
}


def rfc2617_response() -> str:
    secret = md5("Mufasa:testrealm@host.com:Circle Of Life")
    ha2 = md5("GET:/dir/index.html")
    return md5(f"{secret}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:0a4f113b:auth:{ha2}")


def test_ha1_matches_hashlib():
    assert ha1("Mufasa", "testrealm@host.com", "Circle Of Life") == md5(
        "Mufasa:testrealm@host.com:Circle Of Life"
    )
    assert ha1("100", "hotline", "pw", "SHA-256") == sha256("100:hotline:pw")
    with pytest.raises(ValueError):
        ha1("a", "b", "c", "MD4")


def test_verify_rfc2617_vector():
    expected = rfc2617_response()
    assert expected == "6629fae49393a05397450978507c4ef1"  # the value printed in the RFC
    secret = md5("Mufasa:testrealm@host.com:Circle Of Life")
    assert verify({**RFC2617, "response": expected}, method="GET", ha1_hex=secret)
    assert verify({**RFC2617, "response": expected.upper()}, method="GET", ha1_hex=secret)
    assert not verify({**RFC2617, "response": expected}, method="POST", ha1_hex=secret)
    assert not verify(
        {**RFC2617, "response": expected, "nc": "00000002"}, method="GET", ha1_hex=secret
    )
    wrong = md5("Mufasa:testrealm@host.com:wrong")
    assert not verify({**RFC2617, "response": expected}, method="GET", ha1_hex=wrong)


def test_verify_without_qop_and_incomplete_params():
    secret = md5("100:hotline:pw")
    params = {"username": "100", "realm": "hotline", "nonce": "abc", "uri": "sip:hotline"}
    response = md5(f"{secret}:abc:{md5('REGISTER:sip:hotline')}")
    assert verify({**params, "response": response}, method="REGISTER", ha1_hex=secret)
    assert not verify(params, method="REGISTER", ha1_hex=secret)
    for missing in ("nonce", "uri"):
        partial = {k: v for k, v in params.items() if k != missing}
        assert not verify({**partial, "response": response}, method="REGISTER", ha1_hex=secret)
    qop_without_cnonce = {**params, "qop": "auth", "nc": "00000001", "response": response}
    assert not verify(qop_without_cnonce, method="REGISTER", ha1_hex=secret)
    auth_int = {**params, "qop": "auth-int", "nc": "1", "cnonce": "c", "response": response}
    assert not verify(auth_int, method="REGISTER", ha1_hex=secret)
    unknown = {**params, "algorithm": "MD5-sess", "response": response}
    assert not verify(unknown, method="REGISTER", ha1_hex=secret)


def test_verify_sha256():
    secret = sha256("100:hotline:pw")
    ha2 = sha256("INVITE:sip:4008001234@hotline")
    params = {
        "username": "100",
        "realm": "hotline",
        "nonce": "n1",
        "uri": "sip:4008001234@hotline",
        "algorithm": "SHA-256",
        "qop": "auth",
        "nc": "00000001",
        "cnonce": "c1",
    }
    response = sha256(f"{secret}:n1:00000001:c1:auth:{ha2}")
    assert verify({**params, "response": response}, method="INVITE", ha1_hex=secret)
    md5_secret = md5("100:hotline:pw")
    assert not verify({**params, "response": response}, method="INVITE", ha1_hex=md5_secret)


def test_challenge_format_and_parse():
    value = challenge("hotline", "abc.def")
    assert value == 'Digest realm="hotline", nonce="abc.def", algorithm=MD5, qop="auth"'
    assert parse_digest(value) == {
        "realm": "hotline",
        "nonce": "abc.def",
        "algorithm": "MD5",
        "qop": "auth",
    }
    stale = parse_digest(challenge('a "quoted" realm', "n", algorithm="SHA-256", stale=True))
    assert stale["realm"] == 'a "quoted" realm'
    assert stale["stale"] == "true"
    assert stale["algorithm"] == "SHA-256"


def test_parse_digest_forms():
    value = 'digest  USERNAME="bob" ,realm="a, b=c",nc=00000001,  qop=auth, uri="sip:x@y"'
    assert parse_digest(value) == {
        "username": "bob",
        "realm": "a, b=c",
        "nc": "00000001",
        "qop": "auth",
        "uri": "sip:x@y",
    }
    assert parse_digest('Digest realm="esc\\"aped\\\\"') == {"realm": 'esc"aped\\'}


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Digest",
        "Basic dXNlcjpwYXNz",
        'Digest realm="unterminated',
        "Digest realm",
        "Digest =x",
        "Digest realm=a b",
        "Digest realm=a,",
        "Digest realm=a realm=b",
        "Digest realm=a, realm=b",
        "Digest realm=",
        'Digest re alm="x"',
    ],
)
def test_parse_digest_malformed(value):
    with pytest.raises(SipError):
        parse_digest(value)


def test_authorization_answers_a_challenge_the_server_accepts():
    header = authorization(
        'Digest realm="carrier", nonce="n0nce", qop="auth,auth-int", opaque="op"',
        method="INVITE",
        uri="sip:13800138000@carrier.example",
        username="trunk1",
        password="s3cret",
        cnonce="c0ffee",
        nc=2,
    )
    params = parse_digest(header)
    assert params["nc"] == "00000002"
    assert params["cnonce"] == "c0ffee"
    assert params["opaque"] == "op"
    assert params["qop"] == "auth"
    secret = md5("trunk1:carrier:s3cret")
    ha2 = md5("INVITE:sip:13800138000@carrier.example")
    assert params["response"] == md5(f"{secret}:n0nce:00000002:c0ffee:auth:{ha2}")
    assert verify(params, method="INVITE", ha1_hex=secret)


def test_authorization_without_qop_and_with_sha256():
    params = parse_digest(
        authorization(
            'Digest realm="r", nonce="n", algorithm=SHA-256',
            method="REGISTER",
            uri="sip:r",
            username="u",
            password="p",
        )
    )
    assert "qop" not in params
    assert params["algorithm"] == "SHA-256"
    assert params["response"] == sha256(f"{sha256('u:r:p')}:n:{sha256('REGISTER:sip:r')}")
    with pytest.raises(SipError):
        authorization('Digest nonce="n"', method="INVITE", uri="sip:x", username="u", password="p")
    with pytest.raises(SipError):
        authorization(
            'Digest realm="r", nonce="n", algorithm=MD5-sess',
            method="INVITE",
            uri="sip:x",
            username="u",
            password="p",
        )


def test_nonce_ok_stale_and_bad():
    clock = FakeClock()
    source = NonceSource(b"secret", lifetime_s=300, clock=clock)
    nonce = source.issue()
    assert nonce.split(".")[0] == f"{int(clock.now):x}"
    assert len(nonce.split(".")[1]) == 32
    assert source.check(nonce) == "ok"
    clock.now += 300
    assert source.check(nonce) == "ok"
    clock.now += 1
    assert source.check(nonce) == "stale"
    assert source.check(source.issue()) == "ok"
    timestamp, mac = nonce.split(".")
    forged = f"{int(timestamp, 16) + 1000:x}.{mac}"
    assert source.check(forged) == "bad"
    assert NonceSource(b"other", clock=clock).check(source.issue()) == "bad"
    for junk in ("", "abc", "zz." + "0" * 32, "1." + "0" * 31, ".", "1.2.3"):
        assert source.check(junk) == "bad"


def test_guard_bans_after_max_failures_within_window():
    clock = FakeClock()
    guard = AuthGuard(max_failures=3, window_s=60, ban_s=600, clock=clock)
    assert not guard.failure("198.51.100.7")
    clock.now += 20
    assert not guard.failure("198.51.100.7")
    assert not guard.banned("198.51.100.7")
    clock.now += 20
    assert guard.failure("198.51.100.7")
    assert guard.banned("198.51.100.7")
    assert not guard.banned("198.51.100.8")
    assert guard.bans() == {"198.51.100.7": clock.now + 600}
    assert not guard.failure("198.51.100.7")  # already banned: no second ban


def test_guard_ignores_failures_spread_beyond_the_window():
    clock = FakeClock()
    guard = AuthGuard(max_failures=3, window_s=60, ban_s=600, clock=clock)
    for _ in range(10):
        assert not guard.failure("198.51.100.7")
        clock.now += 31
    assert not guard.banned("198.51.100.7")


def test_guard_ban_expires():
    clock = FakeClock()
    guard = AuthGuard(max_failures=2, window_s=60, ban_s=600, clock=clock)
    guard.failure("a")
    assert guard.failure("a")
    clock.now += 599
    assert guard.banned("a")
    clock.now += 1
    assert not guard.banned("a")
    assert guard.bans() == {}
    assert not guard.failure("a")  # counting starts afresh after the ban


def test_guard_success_clears_failures():
    clock = FakeClock()
    guard = AuthGuard(max_failures=3, window_s=60, clock=clock)
    guard.failure("a")
    guard.failure("a")
    guard.success("a")
    assert not guard.failure("a")
    assert not guard.failure("a")
    assert guard.failure("a")


def test_guard_memory_stays_bounded():
    clock = FakeClock()
    guard = AuthGuard(max_failures=2, window_s=60, ban_s=600, clock=clock, max_entries=100)
    for number in range(1000):
        guard.failure(f"10.0.{number // 256}.{number % 256}")
    assert len(guard._failures) == 100
    clock.now += 61
    guard.failure("192.0.2.1")
    assert list(guard._failures) == ["192.0.2.1"]  # the stale ones were forgotten
    for number in range(300):
        guard.failure(f"b{number}")
        guard.failure(f"b{number}")
    assert len(guard.bans()) == 100
    assert guard.banned("b299")
    assert not guard.banned("b0")
    clock.now += 601
    guard.failure("x")
    assert guard._bans == {}
