"""RTP and RTCP (RFC 3550) as the media core needs them: packets in and out,
one outgoing stream per leg that stays continuous whatever feeds it,
reception statistics (interarrival jitter, loss across sequence wrap) and
the Sender/Receiver Reports with an SDES CNAME exchanged every few seconds."""

import secrets
import struct
from dataclasses import dataclass, field

from hotline.telephony.media.g711 import FRAME_SAMPLES, SAMPLE_RATE

RTP_VERSION = 2
SEQUENCE_MOD = 1 << 16
TIMESTAMP_MASK = 0xFFFFFFFF
# RFC 3550 A.1: a forward jump larger than this starts a new sequence run; a
# packet up to MAX_MISORDER behind the highest one is merely late.
MAX_DROPOUT = 3000
MAX_MISORDER = 100
NTP_EPOCH_OFFSET = 2_208_988_800  # seconds from 1900 (NTP) to 1970 (Unix)

RTCP_SR, RTCP_RR, RTCP_SDES = 200, 201, 202
SDES_CNAME = 1

_HEADER = struct.Struct("!BBHII")
_RTCP_HEADER = struct.Struct("!BBH")
_SENDER_INFO = struct.Struct("!IIIIII")  # ssrc, ntp seconds, ntp fraction, rtp ts, packets, octets
_REPORT_BLOCK = struct.Struct("!IIIIII")


def pack_rtp(
    payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, marker: bool
) -> bytes:
    """One RTP packet without CSRCs, extension or padding (the hot path)."""
    second = (0x80 if marker else 0) | payload_type
    return _HEADER.pack(0x80, second, sequence, timestamp, ssrc) + payload


@dataclass(slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    padding: bool = False  # set when the received packet was padded; encode() never pads
    csrc: tuple[int, ...] = ()
    version: int = RTP_VERSION

    @classmethod
    def parse(cls, data: bytes) -> "RtpPacket":
        """Parse a datagram; a header extension is skipped and padding removed."""
        if len(data) < _HEADER.size:
            raise ValueError("RTP packet shorter than its header")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != RTP_VERSION:
            raise ValueError("not RTP version 2")
        offset = _HEADER.size + 4 * (first & 0x0F)
        if offset > len(data):
            raise ValueError("RTP CSRC list runs past the packet")
        csrc = struct.unpack_from(f"!{first & 0x0F}I", data, _HEADER.size) if first & 0x0F else ()
        if first & 0x10:
            if offset + 4 > len(data):
                raise ValueError("RTP header extension runs past the packet")
            words = struct.unpack_from("!H", data, offset + 2)[0]
            offset += 4 + 4 * words
        end = len(data)
        padding = bool(first & 0x20)
        if padding:
            end -= data[-1]
            if data[-1] == 0 or end < offset:
                raise ValueError("bad RTP padding")
        if offset > end:
            raise ValueError("RTP header extension runs past the packet")
        return cls(
            payload_type=second & 0x7F,
            sequence=sequence,
            timestamp=timestamp,
            ssrc=ssrc,
            payload=data[offset:end],
            marker=bool(second & 0x80),
            padding=padding,
            csrc=tuple(csrc),
        )

    def encode(self) -> bytes:
        first = (RTP_VERSION << 6) | len(self.csrc)
        second = (0x80 if self.marker else 0) | self.payload_type
        header = _HEADER.pack(first, second, self.sequence, self.timestamp, self.ssrc)
        return header + b"".join(struct.pack("!I", c) for c in self.csrc) + self.payload


def _signed32(value: int) -> int:
    value &= TIMESTAMP_MASK
    return value - (1 << 32) if value & 0x80000000 else value


class JitterStats:
    """Reception statistics of one incoming stream (RFC 3550 A.1, A.3, A.8):
    interarrival jitter and packets lost, counted from extended sequence
    numbers so a wrap at 65535 is no loss. A new SSRC or a jump beyond
    MAX_DROPOUT starts a new run; the loss of earlier runs is kept."""

    def __init__(self, clock_rate: int = SAMPLE_RATE) -> None:
        self.clock_rate = clock_rate
        self.received = 0
        self.ssrc: int | None = None
        self._jitter = 0.0  # in timestamp units, as RTCP carries it
        self._last_timestamp: int | None = None
        self._last_arrival = 0.0
        self._lost_before = 0
        self._base: int | None = None
        self._highest = 0  # extended: cycles * 65536 + sequence
        self._received_run = 0
        self._expected_prior = 0
        self._received_prior = 0

    def update(
        self, sequence: int, arrival: float, timestamp: int | None = None, ssrc: int | None = None
    ) -> None:
        """Count one packet that arrived at ``arrival`` seconds. Pass the RTP
        timestamp only for audio: telephone events repeat theirs."""
        if ssrc is not None and ssrc != self.ssrc:
            if self.ssrc is not None:
                self._new_run()
            self.ssrc = ssrc
        self.received += 1
        self._count_sequence(sequence)
        if timestamp is not None:
            self._update_jitter(timestamp, arrival)

    def _count_sequence(self, sequence: int) -> None:
        if self._base is None:
            self._base = self._highest = sequence
        else:
            delta = (sequence - self._highest) % SEQUENCE_MOD
            if delta < MAX_DROPOUT:
                self._highest += delta
            elif delta < SEQUENCE_MOD - MAX_MISORDER:
                self._new_run()
                self._base = self._highest = sequence
        self._received_run += 1

    def _new_run(self) -> None:
        self._lost_before = self.lost
        self._base, self._received_run = None, 0
        self._expected_prior = self._received_prior = 0
        self._last_timestamp = None

    def _update_jitter(self, timestamp: int, arrival: float) -> None:
        if self._last_timestamp is not None:
            travelled = (arrival - self._last_arrival) * self.clock_rate
            difference = abs(travelled - _signed32(timestamp - self._last_timestamp))
            self._jitter += (difference - self._jitter) / 16
        self._last_timestamp, self._last_arrival = timestamp, arrival

    @property
    def expected(self) -> int:
        return 0 if self._base is None else self._highest - self._base + 1

    @property
    def lost(self) -> int:
        return self._lost_before + max(0, self.expected - self._received_run)

    @property
    def jitter_ms(self) -> float:
        return self._jitter * 1000 / self.clock_rate

    @property
    def highest_sequence(self) -> int:
        return self._highest

    def report_block(self, *, last_sr: int = 0, delay_since_last_sr: int = 0) -> "ReportBlock":
        """The reception report for our next RTCP packet; starts a new interval."""
        expected, received = self.expected, self._received_run
        expected_interval = expected - self._expected_prior
        lost_interval = expected_interval - (received - self._received_prior)
        self._expected_prior, self._received_prior = expected, received
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = min(255, (lost_interval << 8) // expected_interval)
        return ReportBlock(
            ssrc=self.ssrc or 0,
            fraction_lost=fraction,
            cumulative_lost=min(self.lost, 0x7FFFFF),
            highest_sequence=self._highest & TIMESTAMP_MASK,
            jitter=int(self._jitter),
            last_sr=last_sr,
            delay_since_last_sr=delay_since_last_sr,
        )


class OutboundStream:
    """Our RTP stream toward one leg: its own SSRC, and sequence numbers and
    timestamps that continue when what feeds it changes (generated frames,
    packets relayed from one partner, then from another). A change of source
    sets the marker bit and advances the timestamp by the time that passed."""

    __slots__ = (
        "_last_time",
        "_offset",
        "_source",
        "last_timestamp",
        "octets",
        "packets",
        "sequence",
        "ssrc",
    )
    TICKED = "ticked"

    def __init__(self) -> None:
        self.ssrc = secrets.randbits(32)
        self.sequence = secrets.randbits(16)
        self.last_timestamp = secrets.randbits(32)
        self.packets = self.octets = 0
        self._last_time: float | None = None
        self._source: object = None
        self._offset = 0  # relayed timestamp + offset = ours

    def frame_timestamp(self, now: float) -> tuple[int, bool]:
        """Timestamp and marker of a 20 ms frame generated at tick ``now``."""
        if self._last_time is not None and self._source is self.TICKED:
            frames = max(1, round((now - self._last_time) * SAMPLE_RATE / FRAME_SAMPLES))
            timestamp = (self.last_timestamp + frames * FRAME_SAMPLES) & TIMESTAMP_MASK
            marker = frames > 1  # frames were skipped: a new talk spurt
        else:
            timestamp, marker = self._after_gap(now), True
        self._source, self.last_timestamp, self._last_time = self.TICKED, timestamp, now
        return timestamp, marker

    def relay_timestamp(self, now: float, source: object, timestamp: int) -> tuple[int, bool]:
        """Timestamp and marker for a packet relayed from ``source`` (any
        value naming the sending stream) carrying ``timestamp``."""
        if source == self._source:
            ours, marker = (timestamp + self._offset) & TIMESTAMP_MASK, False
        else:
            ours, marker = self._after_gap(now), True
            self._offset, self._source = (ours - timestamp) & TIMESTAMP_MASK, source
        self.last_timestamp, self._last_time = ours, now
        return ours, marker

    def _after_gap(self, now: float) -> int:
        if self._last_time is None:
            return self.last_timestamp
        elapsed = max(FRAME_SAMPLES, round((now - self._last_time) * SAMPLE_RATE))
        return (self.last_timestamp + elapsed) & TIMESTAMP_MASK

    def timestamp_at(self, now: float) -> int:
        """Our RTP timestamp for the moment ``now`` (for Sender Reports)."""
        if self._last_time is None:
            return self.last_timestamp
        elapsed = round((now - self._last_time) * SAMPLE_RATE)
        return (self.last_timestamp + elapsed) & TIMESTAMP_MASK

    def packet(self, payload_type: int, payload: bytes, timestamp: int, marker: bool) -> bytes:
        self.sequence = (self.sequence + 1) % SEQUENCE_MOD
        self.packets += 1
        self.octets += len(payload)
        return pack_rtp(payload_type, self.sequence, timestamp, self.ssrc, payload, marker)


@dataclass(frozen=True, slots=True)
class ReportBlock:
    ssrc: int
    fraction_lost: int  # 0-255: lost share of the last interval in 1/256
    cumulative_lost: int
    highest_sequence: int
    jitter: int  # in timestamp units
    last_sr: int = 0
    delay_since_last_sr: int = 0

    @property
    def fraction(self) -> float:
        return self.fraction_lost / 256

    def encode(self) -> bytes:
        lost = (self.fraction_lost << 24) | (self.cumulative_lost & 0xFFFFFF)
        return _REPORT_BLOCK.pack(
            self.ssrc,
            lost,
            self.highest_sequence,
            self.jitter,
            self.last_sr,
            self.delay_since_last_sr,
        )

    @classmethod
    def parse(cls, data: bytes, offset: int) -> "ReportBlock":
        ssrc, lost, highest, jitter, last_sr, delay = _REPORT_BLOCK.unpack_from(data, offset)
        cumulative = lost & 0xFFFFFF
        if cumulative & 0x800000:
            cumulative -= 1 << 24
        return cls(ssrc, lost >> 24, cumulative, highest, jitter, last_sr, delay)


@dataclass(slots=True)
class RtcpReport:
    """One SR or RR of a compound RTCP packet."""

    sender_ssrc: int
    blocks: list[ReportBlock] = field(default_factory=list)
    # The middle 32 bits of a Sender Report's NTP time (echoed as LSR).
    ntp_middle: int | None = None


def ntp_time(wall_clock: float) -> tuple[int, int]:
    """(seconds, fraction) of an NTP timestamp for a Unix time."""
    ntp = wall_clock + NTP_EPOCH_OFFSET
    seconds = int(ntp)
    return seconds & TIMESTAMP_MASK, int((ntp - seconds) * (1 << 32)) & TIMESTAMP_MASK


def build_rtcp(
    *,
    ssrc: int,
    cname: str,
    wall_clock: float,
    rtp_timestamp: int,
    packets: int,
    octets: int,
    block: ReportBlock | None = None,
) -> bytes:
    """A compound RTCP packet: an SR (an RR if we have sent nothing yet)
    with at most one report block, then an SDES with our CNAME."""
    blocks = block.encode() if block else b""
    count = 1 if block else 0
    if packets:
        seconds, fraction = ntp_time(wall_clock)
        body = _SENDER_INFO.pack(
            ssrc,
            seconds,
            fraction,
            rtp_timestamp & TIMESTAMP_MASK,
            packets & TIMESTAMP_MASK,
            octets & TIMESTAMP_MASK,
        )
        report = _rtcp_packet(RTCP_SR, count, body + blocks)
    else:
        report = _rtcp_packet(RTCP_RR, count, struct.pack("!I", ssrc) + blocks)
    name = cname.encode()[:255]
    chunk = struct.pack("!IBB", ssrc, SDES_CNAME, len(name)) + name
    chunk += bytes(4 - len(chunk) % 4)  # the end item (a zero octet) and padding to 32 bits
    return report + _rtcp_packet(RTCP_SDES, 1, chunk)


def _rtcp_packet(packet_type: int, count: int, body: bytes) -> bytes:
    header = _RTCP_HEADER.pack(0x80 | count, packet_type, len(body) // 4)
    return header + body


def parse_rtcp(data: bytes) -> list[RtcpReport]:
    """The SRs and RRs of a compound RTCP packet (other types are skipped).
    Raises ValueError when the packet is malformed."""
    reports, offset = [], 0
    while offset < len(data):
        if len(data) - offset < _RTCP_HEADER.size:
            raise ValueError("truncated RTCP header")
        first, packet_type, length = _RTCP_HEADER.unpack_from(data, offset)
        if first >> 6 != RTP_VERSION:
            raise ValueError("not RTCP version 2")
        size = (length + 1) * 4
        if offset + size > len(data):
            raise ValueError("RTCP packet runs past the datagram")
        if packet_type in (RTCP_SR, RTCP_RR):
            reports.append(_parse_report(data, offset, packet_type, first & 0x1F, size))
        offset += size
    return reports


def _parse_report(data: bytes, offset: int, packet_type: int, count: int, size: int):
    fixed = 4 + (_SENDER_INFO.size if packet_type == RTCP_SR else 4)
    if fixed + count * _REPORT_BLOCK.size > size:
        raise ValueError("RTCP report blocks run past the packet")
    ssrc = struct.unpack_from("!I", data, offset + 4)[0]
    report = RtcpReport(sender_ssrc=ssrc)
    if packet_type == RTCP_SR:
        seconds, fraction = struct.unpack_from("!II", data, offset + 8)
        report.ntp_middle = ((seconds & 0xFFFF) << 16) | (fraction >> 16)
    start = offset + fixed
    report.blocks = [ReportBlock.parse(data, start + i * _REPORT_BLOCK.size) for i in range(count)]
    return report
