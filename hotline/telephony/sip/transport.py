"""SIP over UDP and TCP on asyncio: one listening address, messages in and
out as bytes. Framing on TCP follows Content-Length; a connection that sends
garbage is closed, a bad datagram is dropped, and neither reaches the B2BUA.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from hotline.telephony.sip.message import SipError, frame_stream

logger = logging.getLogger(__name__)
MAX_TCP_CONNECTIONS = 2_000


@dataclass(frozen=True)
class Peer:
    """Where a message came from, or goes to: the transport and the address."""

    transport: str  # "UDP" or "TCP"
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.transport.lower()}:{self.host}:{self.port}"


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: "Transports"):
        self.owner = owner

    def datagram_received(self, data: bytes, addr) -> None:
        self.owner.received(data, Peer("UDP", addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        logger.debug("SIP UDP error: %s", exc)


class Transports:
    """The listening sockets of the B2BUA and its TCP connections."""

    def __init__(self, *, host: str, port: int, on_message: Callable[[bytes, Peer], None]):
        self.host, self.port = host, port
        self.on_message = on_message
        self.udp: asyncio.DatagramTransport | None = None
        self.server: asyncio.AbstractServer | None = None
        self.connections: dict[tuple[str, int], asyncio.StreamWriter] = {}
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.udp, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=(self.host, self.port)
        )
        if self.port == 0:  # an ephemeral port (tests): TCP listens on the same number
            self.port = self.udp.get_extra_info("sockname")[1]
        self.server = await asyncio.start_server(self._accepted, self.host, self.port)

    async def close(self) -> None:
        if self.udp is not None:
            self.udp.close()
        if self.server is not None:
            self.server.close()
        for writer in list(self.connections.values()):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        self.connections.clear()

    def received(self, data: bytes, peer: Peer) -> None:
        try:
            self.on_message(data, peer)
        except Exception:
            logger.exception("SIP message from %s could not be handled", peer)

    def send(self, data: bytes, peer: Peer) -> None:
        if peer.transport == "UDP":
            if self.udp is not None:
                self.udp.sendto(data, (peer.host, peer.port))
            return
        writer = self.connections.get((peer.host, peer.port))
        if writer is not None and not writer.is_closing():
            writer.write(data)
            return
        self._spawn(self._connect_and_send(data, peer))

    # --- TCP ---

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect_and_send(self, data: bytes, peer: Peer) -> None:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(peer.host, peer.port), timeout=5
            )
        except (OSError, TimeoutError) as error:
            logger.info("SIP TCP connection to %s failed: %s", peer, error)
            return
        key = (peer.host, peer.port)
        self.connections[key] = writer
        writer.write(data)
        await self._read(reader, writer, peer)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        if len(self.connections) >= MAX_TCP_CONNECTIONS:
            writer.close()
            return
        self.connections[(host, port)] = writer
        await self._read(reader, writer, Peer("TCP", host, port))

    async def _read(self, reader, writer, peer: Peer) -> None:
        buffer = bytearray()
        try:
            while True:
                chunk = await reader.read(65_536)
                if not chunk:
                    break
                buffer.extend(chunk)
                while (message := frame_stream(buffer)) is not None:
                    self.received(message, peer)
        except SipError as error:
            logger.info("SIP TCP stream from %s closed: %s", peer, error)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.connections.pop((peer.host, peer.port), None)
            writer.close()
