"""A local anvil node that the demo (and the CLI's ``--local``) starts and always stops.

:class:`LocalNode` runs the project's npm anvil (``node_modules/.bin/anvil``; never a downloaded Foundry) with
``--hardfork cancun`` on a free local port, waits until it answers JSON-RPC, and stops it when the ``with``
block ends, whether it ends normally, by an exception, by Ctrl-C (``KeyboardInterrupt``) or by SIGTERM (turned
into ``SystemExit`` while the node runs). An ``atexit`` hook is the last resort.

Dev accounts come from anvil's public development mnemonic through eth-account's HD wallet
(:func:`dev_account`): no private key is written down anywhere.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import Final

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

__all__ = [
    "ANVIL_MNEMONIC",
    "LocalNode",
    "NodeError",
    "dev_account",
    "find_anvil",
    "free_port",
]

ANVIL_MNEMONIC: Final = "test test test test test test test test test test test junk"
"""anvil's public, well-known development mnemonic: its funded dev accounts derive from it (never for real money)."""

_LIVE: set[LocalNode] = set()
_LIVE_LOCK = threading.Lock()


class NodeError(RuntimeError):
    """The local node could not be found or started."""


@functools.cache
def dev_account(index: int) -> LocalAccount:
    """Account ``index`` of anvil's development mnemonic (``m/44'/60'/0'/0/<index>``).

    Indexes 0..9 are funded by anvil at start (10,000 ETH each); higher ones start empty.
    """
    if index < 0:
        raise ValueError(f"index: must be >= 0, got {index}")
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def find_anvil(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The anvil binary: ``explicit``, else ``$PYCLAIMS_ANVIL``, else ``node_modules/.bin/anvil`` in the current
    directory or the checkout this package lives in, else ``anvil`` on ``PATH``.

    Raises:
        NodeError: none of these exists.
    """
    candidates: list[Path] = []
    if explicit is not None:
        candidates.append(Path(explicit))
    elif os.environ.get("PYCLAIMS_ANVIL"):
        candidates.append(Path(os.environ["PYCLAIMS_ANVIL"]))
    else:
        candidates.append(Path.cwd() / "node_modules" / ".bin" / "anvil")
        candidates.append(Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "anvil")
        on_path = shutil.which("anvil")
        if on_path:
            candidates.append(Path(on_path))
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise NodeError(f"anvil not found (tried {tried}): run the set-up (make setup / npm ci) first")


class LocalNode:
    """One anvil process on a free local port; a context manager that always stops it.

    Args:
        anvil: the binary (default: :func:`find_anvil`).
        chain_id: ``--chain-id`` (default 31337, anvil's own).
        accounts: ``--accounts``: how many dev accounts anvil funds.
        extra_args: more anvil flags.
        start_timeout: seconds to wait for the node to answer.
    """

    def __init__(
        self,
        *,
        anvil: str | os.PathLike[str] | None = None,
        chain_id: int = 31337,
        accounts: int = 10,
        extra_args: Iterable[str] = (),
        start_timeout: float = 30.0,
    ) -> None:
        self.binary = find_anvil(anvil)
        self.chain_id = chain_id
        self.accounts = accounts
        self.extra_args = tuple(extra_args)
        self.start_timeout = start_timeout
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._proc_returncode: int | None = None
        self._previous_sigterm: signal.Handlers | object | None = None
        self._session = requests.Session()

    @property
    def url(self) -> str:
        """The node's HTTP JSON-RPC URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The process id while the node runs."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.pid is not None

    def version(self) -> str:
        """``anvil --version``'s first line, without the ``anvil Version:`` prefix."""
        out = subprocess.run([str(self.binary), "--version"], capture_output=True, text=True, check=False, timeout=30)
        first = (out.stdout or out.stderr).strip().splitlines()[:1]
        return first[0].removeprefix("anvil Version: ").strip() if first else "unknown"

    def _argv(self) -> list[str]:
        return [
            str(self.binary),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--hardfork",
            "cancun",
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--silent",
            *self.extra_args,
        ]

    def start(self) -> LocalNode:
        """Start the node and wait until it answers ``eth_chainId``.

        Raises:
            NodeError: it exited or did not answer within ``start_timeout`` (it is killed then).
        """
        if self.running:
            raise NodeError("the node is already running")
        for _attempt in range(3):
            self._proc = subprocess.Popen(
                self._argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            with _LIVE_LOCK:
                _LIVE.add(self)
            deadline = time.monotonic() + self.start_timeout
            while True:
                if self._proc.poll() is not None:
                    err = self._proc.stderr.read().decode(errors="replace").strip() if self._proc.stderr else ""
                    self._close()
                    if "address already in use" in err.lower():
                        self.port = free_port()  # lost the race for the port: try another one
                        break
                    raise NodeError(f"anvil exited with code {self._proc_returncode}: {err or '(no output)'}")
                try:
                    reply = self._session.post(
                        self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=5
                    )
                    if reply.ok:
                        return self
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise NodeError(f"anvil did not answer on {self.url} within {self.start_timeout} s")
                time.sleep(0.02)
        raise NodeError("anvil could not bind a free port after 3 tries")

    def stop(self) -> None:
        """Stop the node (SIGTERM, then SIGKILL after 5 s). Safe to call twice."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait()
        self._close()

    def _close(self) -> None:
        proc = self._proc
        if proc is not None:
            self._proc_returncode = proc.returncode
            if proc.stderr is not None:
                proc.stderr.close()
        self._proc = None
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    def __enter__(self) -> LocalNode:
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.getsignal(signal.SIGTERM)
            signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            return self.start()
        except BaseException:
            self._restore_signal()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
            self._session.close()
        finally:
            self._restore_signal()

    def _restore_signal(self) -> None:
        previous = self._previous_sigterm
        if previous is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]  # whatever getsignal returned
        self._previous_sigterm = None


@atexit.register
def _stop_leftovers() -> None:
    with _LIVE_LOCK:
        nodes = list(_LIVE)
    for node in nodes:
        node.stop()
