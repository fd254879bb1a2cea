"""G.711 µ-law (PCMU) and A-law (PCMA) on the core's linear PCM, and the
frame size the whole media core works in: 8 kHz mono signed 16-bit
little-endian samples, 20 ms per frame."""

import warnings

with warnings.catch_warnings():
    # Deprecated in the standard library from 3.11, removed in 3.13, where the
    # audioop-lts package provides the same module.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * SAMPLE_WIDTH
SILENCE = bytes(FRAME_BYTES)

PAYLOAD_TYPES = {"PCMU": 0, "PCMA": 8}
CODEC_OF_PAYLOAD_TYPE = {number: codec for codec, number in PAYLOAD_TYPES.items()}

__all__ = [
    "CODEC_OF_PAYLOAD_TYPE",
    "FRAME_BYTES",
    "FRAME_MS",
    "FRAME_SAMPLES",
    "PAYLOAD_TYPES",
    "SAMPLE_RATE",
    "SAMPLE_WIDTH",
    "SILENCE",
    "audioop",
    "decode",
    "encode",
]


def encode(pcm: bytes, codec: str) -> bytes:
    """Linear PCM → one G.711 byte per sample."""
    if codec == "PCMU":
        return audioop.lin2ulaw(pcm, SAMPLE_WIDTH)
    if codec == "PCMA":
        return audioop.lin2alaw(pcm, SAMPLE_WIDTH)
    raise ValueError(f"unsupported codec {codec!r}")


def decode(payload: bytes, codec: str) -> bytes:
    """G.711 bytes → linear PCM (two bytes per sample)."""
    if codec == "PCMU":
        return audioop.ulaw2lin(payload, SAMPLE_WIDTH)
    if codec == "PCMA":
        return audioop.alaw2lin(payload, SAMPLE_WIDTH)
    raise ValueError(f"unsupported codec {codec!r}")
