"""A fresh anvil per bench run, and the dev accounts of anvil's well-known mnemonic.

Per-transaction time on one anvil grows with the chain, so every run starts its own node from block 0 on a
free port, and the node is killed when the run ends (also at interpreter exit, should the run crash).
Keys are never written down: they are derived from anvil's public test mnemonic with eth-account's HD wallet.
"""

from __future__ import annotations

import atexit
import contextlib
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from bench.errors import NodeError

__all__ = [
    "ANVIL_BINARY",
    "ANVIL_MNEMONIC",
    "BENCH_GENESIS_TIMESTAMP",
    "AnvilNode",
    "anvil_version",
    "dev_account",
    "dev_accounts",
]

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's public, well-known development mnemonic (its default accounts are derived from it)."""

ANVIL_BINARY = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "anvil"
"""The npm-installed anvil (``@foundry-rs/anvil-linux-amd64``)."""

BENCH_GENESIS_TIMESTAMP = 1_767_225_600
"""2026-01-01T00:00:00Z: the bench's fixed genesis time (same times in signed orders, same calldata, same gas)."""

_HD_PATH = "m/44'/60'/0'/0/{index}"


def dev_account(index: int) -> LocalAccount:
    """The dev account at ``m/44'/60'/0'/0/<index>`` of anvil's mnemonic (indexes 0..9 are funded by anvil)."""
    if index < 0:
        raise ValueError(f"index: must be >= 0, got {index}")
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=_HD_PATH.format(index=index))
    return account


def dev_accounts(count: int, *, start: int = 0) -> list[LocalAccount]:
    """``count`` dev accounts from index ``start`` on."""
    if count < 0:
        raise ValueError(f"count: must be >= 0, got {count}")
    return [dev_account(start + i) for i in range(count)]


def anvil_version(binary: Path = ANVIL_BINARY) -> str:
    """The first line of ``anvil --version`` (e.g. ``anvil Version: 1.7.1``)."""
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise NodeError(f"cannot run {binary} --version: {exc}") from exc
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class AnvilNode:
    """One anvil process on a free local port; use as a context manager.

    Attributes:
        hardfork: the EVM hardfork the node runs (the suite compiles for ``cancun``).
        accounts: how many funded dev accounts anvil creates from its mnemonic.
        balance_eth: each dev account's starting balance in ether.
        genesis_timestamp: the genesis block's unix time (None: now). A fixed value makes signed expiries, and so
            calldata and gas, identical from run to run.
        extra_args: further anvil flags (e.g. ``("--disable-code-size-limit",)``).
        startup_timeout: seconds to wait for the node to answer.
    """

    hardfork: str = "cancun"
    accounts: int = 10
    balance_eth: int = 10_000
    genesis_timestamp: int | None = None
    extra_args: tuple[str, ...] = ()
    startup_timeout: float = 30.0
    binary: Path = ANVIL_BINARY
    port: int = field(default=0, init=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """The node's HTTP JSON-RPC address."""
        if self._proc is None:
            raise NodeError("anvil is not running")
        return f"http://127.0.0.1:{self.port}"

    def web3(self) -> Web3:
        """A web3 connected to the node (HTTP, 60 s request timeout)."""
        return Web3(HTTPProvider(self.url, request_kwargs={"timeout": 60}))

    def start(self) -> AnvilNode:
        """Start the node and wait until it answers ``eth_chainId``; retries on a port race."""
        if self._proc is not None:
            raise NodeError("anvil is already running")
        if not self.binary.is_file():
            raise NodeError(f"anvil binary not found at {self.binary}; run the npm set-up (npm ci) first")
        last_error = ""
        for _ in range(3):
            self.port = _free_port()
            command = [
                str(self.binary),
                "--hardfork", self.hardfork,
                "--silent",
                "--port", str(self.port),
                "--accounts", str(self.accounts),
                "--balance", str(self.balance_eth),
                "--mnemonic", ANVIL_MNEMONIC,
                *(("--timestamp", str(self.genesis_timestamp)) if self.genesis_timestamp is not None else ()),
                *self.extra_args,
            ]  # fmt: skip
            # A file, not a pipe: a chatty node can never block on it. Closed in stop().
            self._log = tempfile.TemporaryFile()  # noqa: SIM115
            self._proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log)
            atexit.register(self.stop)
            ready, last_error = self._wait_ready()
            if ready:
                return self
            self.stop()
        raise NodeError(f"anvil did not start: {last_error}")

    def _wait_ready(self) -> tuple[bool, str]:
        assert self._proc is not None
        w3 = Web3(HTTPProvider(f"http://127.0.0.1:{self.port}", request_kwargs={"timeout": 2}))
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                stderr = ""
                if self._log is not None:
                    self._log.seek(0)
                    stderr = self._log.read().decode(errors="replace")
                return False, f"exited with code {self._proc.returncode}: {stderr.strip()[:1000]}"
            with contextlib.suppress(Exception):
                if w3.eth.chain_id > 0:
                    return True, ""
            time.sleep(0.05)
        return False, f"no answer on port {self.port} within {self.startup_timeout} s"

    def stop(self) -> None:
        """Terminate the node (kill it if it does not stop within 5 s). Safe to call twice."""
        proc, self._proc = self._proc, None
        log, self._log = self._log, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if log is not None:
            log.close()

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
