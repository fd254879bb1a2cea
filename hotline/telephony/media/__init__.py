"""The media core of the `sip` driver: RTP over asyncio, G.711 µ-law and
A-law, RFC 4733 telephone events, prompts (espeak-ng TTS, uploaded audio,
music on hold), two-party bridges, conferences, monitoring and stereo WAV
recording. Inside the core audio is 8 kHz mono signed 16-bit PCM in 20 ms
frames; see ``core.MediaCore``."""
