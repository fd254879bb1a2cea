"""RTP packets, the outgoing stream, reception statistics and RTCP reports."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.telephony.media.rtp import (
    JitterStats,
    OutboundStream,
    ReportBlock,
    RtpPacket,
    build_rtcp,
    pack_rtp,
    parse_rtcp,
)

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)


@given(
    payload_type=st.integers(0, 127),
    sequence=u16,
    timestamp=u32,
    ssrc=u32,
    payload=st.binary(max_size=200),
    marker=st.booleans(),
    csrc=st.lists(u32, max_size=15).map(tuple),
)
def test_encode_parse_round_trip(payload_type, sequence, timestamp, ssrc, payload, marker, csrc):
    packet = RtpPacket(payload_type, sequence, timestamp, ssrc, payload, marker, csrc=csrc)
    assert RtpPacket.parse(packet.encode()) == packet


def test_pack_rtp_is_the_same_packet():
    data = pack_rtp(8, 65535, 123456, 0xDEADBEEF, b"\x01\x02", True)
    assert data == RtpPacket(8, 65535, 123456, 0xDEADBEEF, b"\x01\x02", marker=True).encode()


def test_extension_is_skipped_and_padding_removed():
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10, 0, 7, 160, 42)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\xaa" * 4
    data = header + extension + b"audio" + b"\0\0\x03"
    packet = RtpPacket.parse(data)
    assert packet.payload == b"audio"
    assert packet.padding and packet.sequence == 7


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x00\x00",  # shorter than a header
        struct.pack("!BBHII", 0x40, 0, 1, 1, 1),  # version 1
        struct.pack("!BBHII", 0x83, 0, 1, 1, 1) + b"\0" * 4,  # 3 CSRCs announced, 1 present
        struct.pack("!BBHII", 0x90, 0, 1, 1, 1) + b"\0\0",  # truncated extension header
        struct.pack("!BBHII", 0x90, 0, 1, 1, 1) + struct.pack("!HH", 0, 9),  # extension too long
        struct.pack("!BBHII", 0xA0, 0, 1, 1, 1) + b"ab\x09",  # padding longer than the packet
        struct.pack("!BBHII", 0xA0, 0, 1, 1, 1) + b"ab\x00",  # padding count of zero
    ],
)
def test_malformed_packets_are_rejected(data):
    with pytest.raises(ValueError):
        RtpPacket.parse(data)


def test_loss_across_a_sequence_wrap_with_a_gap_and_a_late_packet():
    stats = JitterStats()
    for number, sequence in enumerate([65533, 65534, 65535, 0, 2, 3]):  # 1 is missing
        stats.update(sequence, number * 0.02, number * 160, ssrc=9)
    assert stats.expected == 7
    assert stats.lost == 1
    assert stats.highest_sequence == 65536 + 3  # one cycle
    stats.update(1, 0.2, 160 * 4, ssrc=9)  # arrives late: nothing lost after all
    assert stats.lost == 0
    assert stats.received == 7


def test_a_new_ssrc_keeps_earlier_losses():
    stats = JitterStats()
    for sequence in (10, 11, 13):
        stats.update(sequence, 0.0, ssrc=1)
    for sequence in (500, 501):
        stats.update(sequence, 0.0, ssrc=2)
    assert stats.lost == 1


def test_jitter_is_zero_for_steady_packets_and_follows_rfc_3550():
    steady = JitterStats()
    for number in range(50):
        steady.update(number, number * 0.020, number * 160)
    assert steady.jitter_ms == pytest.approx(0, abs=1e-6)

    shaky = JitterStats()
    expected = 0.0
    for number in range(200):
        arrival = number * 0.020 + (0.005 if number % 2 else 0.0)
        shaky.update(number, arrival, (number * 160 + 1_000_000_000) & 0xFFFFFFFF)
        if number:
            expected += (40 - expected) / 16  # |D| = 5 ms = 40 timestamp units
    assert shaky.jitter_ms == pytest.approx(expected / 8, rel=1e-6)
    assert shaky.jitter_ms == pytest.approx(5, abs=0.1)


def test_jitter_ignores_a_timestamp_wrap():
    stats = JitterStats()
    for number in range(20):
        stats.update(number, number * 0.02, (0xFFFFFFFF - 800 + number * 160) & 0xFFFFFFFF)
    assert stats.jitter_ms == pytest.approx(0, abs=1e-6)


def test_report_block_counts_the_interval():
    stats = JitterStats()
    for sequence in [0, 1, 3, 4]:  # 1 of 5 lost
        stats.update(sequence, 0.0, ssrc=77)
    block = stats.report_block()
    assert (block.ssrc, block.fraction_lost, block.cumulative_lost) == (77, 256 // 5, 1)
    for sequence in [5, 6]:
        stats.update(sequence, 0.0, ssrc=77)
    assert stats.report_block().fraction_lost == 0  # nothing lost since the last report


def test_outbound_stream_continues_across_sources():
    stream = OutboundStream()
    first, marker = stream.frame_timestamp(10.0)
    assert marker
    second, marker = stream.frame_timestamp(10.02)
    assert second == (first + 160) & 0xFFFFFFFF and not marker
    # Relaying from a partner: a marker, and a timestamp a frame later.
    relayed, marker = stream.relay_timestamp(10.04, ("b", 5), 999)
    assert marker and relayed == (second + 160) & 0xFFFFFFFF
    following, marker = stream.relay_timestamp(10.06, ("b", 5), 999 + 160)
    assert not marker and following == (relayed + 160) & 0xFFFFFFFF
    # Back to generated frames after a 100 ms pause: the time passed counts.
    resumed, marker = stream.frame_timestamp(10.16)
    assert marker and resumed == (following + 800) & 0xFFFFFFFF
    sequences = [RtpPacket.parse(stream.packet(0, b"x", resumed, False)).sequence for _ in range(3)]
    assert [(s - sequences[0]) % 65536 for s in sequences] == [0, 1, 2]


def test_sender_report_round_trip():
    block = ReportBlock(
        ssrc=1234, fraction_lost=64, cumulative_lost=-2, highest_sequence=70000, jitter=80
    )
    data = build_rtcp(
        ssrc=99,
        cname="hotline-test",
        wall_clock=1_700_000_000.5,
        rtp_timestamp=4000,
        packets=10,
        octets=1600,
        block=block,
    )
    assert len(data) % 4 == 0
    (report,) = parse_rtcp(data)  # the SDES is skipped
    assert report.sender_ssrc == 99
    assert report.ntp_middle is not None
    assert report.blocks == [block]
    assert report.blocks[0].fraction == 0.25
    assert b"hotline-test" in data


def test_receiver_report_when_nothing_was_sent():
    data = build_rtcp(
        ssrc=5, cname="x", wall_clock=0.0, rtp_timestamp=0, packets=0, octets=0, block=None
    )
    assert data[1] == 201
    (report,) = parse_rtcp(data)
    assert report.sender_ssrc == 5 and report.ntp_middle is None and report.blocks == []


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\xc8",  # truncated header
        b"\x40\xc9\x00\x01" + b"\0" * 4,  # version 1
        b"\x80\xc9\x00\x05" + b"\0" * 4,  # longer than the datagram
        b"\x81\xc9\x00\x01" + b"\0" * 4,  # one report block announced, none present
    ],
)
def test_malformed_rtcp_is_rejected(data):
    with pytest.raises(ValueError):
        parse_rtcp(data)
