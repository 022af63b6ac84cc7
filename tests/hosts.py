"""A second host on this machine for tests: a network namespace joined to ours by a veth pair.

The test side of the link (10.200.N.1) carries the services a worker on another machine would
reach over the network: a Redis and an S3 API server started on that address, and PostgreSQL
through a small TCP forwarder (the shared PostgreSQL listens on 127.0.0.1 only and is not
reconfigured). The far side (10.200.N.2) is the namespace, whose own loopback reaches nothing
of ours. Needs root and iproute2 (`ip netns`), as CI has.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# 10.200.N.0/30 per namespace; N from the process id so parallel runs do not collide.
SUBNET_BASE = "10.200"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


@dataclass
class Namespace:
    name: str
    host_if: str
    host_address: str
    far_address: str

    def command(self, *argv: str) -> list[str]:
        """argv run inside the namespace (`ip netns exec` keeps the environment)."""
        return ["ip", "netns", "exec", self.name, *argv]


@contextlib.contextmanager
def network_namespace(tag: str) -> Iterator[Namespace]:
    """A namespace and veth pair, removed afterwards whatever happens."""
    n = 1 + os.getpid() % 250
    ns = Namespace(
        name=f"sohoa-{tag}-{os.getpid()}",
        host_if=f"sh{n}{tag}"[:15],
        host_address=f"{SUBNET_BASE}.{n}.1",
        far_address=f"{SUBNET_BASE}.{n}.2",
    )
    far_if = f"sf{n}{tag}"[:15]
    try:
        ip("netns", "add", ns.name)
        ip("link", "add", ns.host_if, "type", "veth", "peer", "name", far_if)
        ip("link", "set", far_if, "netns", ns.name)
        ip("addr", "add", f"{ns.host_address}/30", "dev", ns.host_if)
        ip("link", "set", ns.host_if, "up")
        ip("netns", "exec", ns.name, "ip", "addr", "add", f"{ns.far_address}/30", "dev", far_if)
        ip("netns", "exec", ns.name, "ip", "link", "set", far_if, "up")
        ip("netns", "exec", ns.name, "ip", "link", "set", "lo", "up")
        yield ns
    finally:
        subprocess.run(["ip", "link", "del", ns.host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", ns.name], capture_output=True)


@dataclass
class TcpForwarder:
    """Listens on (host, port) and pipes every connection to (target_host, target_port)."""

    host: str
    port: int
    target_host: str
    target_port: int
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, self.host, self.port)
        )
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    def start(self) -> TcpForwarder:
        self._thread = threading.Thread(target=self._run, daemon=True, name="tcp-forwarder")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"forwarder on {self.host}:{self.port} did not start")
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


@dataclass
class RedisServer:
    """A redis-server of the test's own, on an address and port of its own, that a test may
    kill (-9) and start again on the same address."""

    host: str
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self) -> RedisServer:
        from tests.conftest import wait_for_port

        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--bind",
                    self.host,
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    # Bound to the test link's address only; clients come from the namespace.
                    "--protected-mode",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.host, self.port, 20, self.proc)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
