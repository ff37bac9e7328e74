"""Test helpers: a local anvil node, dev accounts, a fault-injecting provider, and solc-js compilation.

Reusable by any test module as ``from anvil import Anvil, dev_account, ...``: ``tests/`` is on ``sys.path``
(pytest's default import mode puts it there for ``tests/conftest.py``; ``tests/sdk/conftest.py`` also adds it
explicitly). Not ``tests.anvil``: an installed dependency (pymultihash) ships a top-level ``tests`` package that
would shadow this folder. Nothing here is part of the ``pyclaims`` package.

- :class:`Anvil` runs the npm anvil (``node_modules/.bin/anvil``, ``--hardfork cancun``) on a free port, can
  be killed with SIGKILL and restarted on the same port (with ``state_path`` the chain survives through
  anvil's ``--state`` dump/load), and is always stopped at exit.
- :func:`dev_account` derives anvil's funded dev accounts from its public development mnemonic with
  eth-account's HD wallet: no private key is written down anywhere.
- :class:`FaultyHTTPProvider` forwards a request to the node and then, a set number of times, raises a
  connection error instead of returning the reply: the node did the work, the client never heard.
- :func:`compile_solidity` compiles test contracts with the pinned solc-js through ``tools/solc``.
"""

from __future__ import annotations

import atexit
import functools
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3._utils.http_session_manager import HTTPSessionManager

__all__ = [
    "ANVIL_BINARY",
    "ANVIL_MNEMONIC",
    "REPO_ROOT",
    "Anvil",
    "Compiled",
    "FaultyHTTPProvider",
    "InjectedFaultError",
    "compile_solidity",
    "deploy",
    "dev_account",
    "free_port",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
ANVIL_BINARY = REPO_ROOT / "node_modules" / ".bin" / "anvil"
SOLC_BRIDGE = REPO_ROOT / "tools" / "solc"
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's public, well-known development mnemonic: its funded dev accounts derive from it."""

_LIVE: set[Anvil] = set()


@functools.cache
def dev_account(index: int) -> LocalAccount:
    """anvil dev account ``index`` (``m/44'/60'/0'/0/<index>``; 0..9 are funded with 10,000 ETH)."""
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


class Anvil:
    """One anvil process on a local port.

    Args:
        chain_id: ``--chain-id`` (anvil's default is 31337).
        no_mining: ``--no-mining`` (blocks only on ``evm_mine``).
        state_path: ``--state PATH``: load the chain from PATH at start, dump it there on exit and every
            ``state_interval`` seconds (what survives a SIGKILL is the last periodic dump).
        state_interval: ``--state-interval`` in seconds.
        extra_args: any other anvil flags.
    """

    def __init__(
        self,
        *,
        chain_id: int | None = None,
        no_mining: bool = False,
        state_path: Path | None = None,
        state_interval: int | None = None,
        extra_args: Iterable[str] = (),
    ) -> None:
        if not ANVIL_BINARY.exists():
            raise FileNotFoundError(f"{ANVIL_BINARY} is missing: run the set-up (npm ci) first")
        self.chain_id = chain_id
        self.no_mining = no_mining
        self.state_path = state_path
        self.state_interval = state_interval
        self.extra_args = tuple(extra_args)
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._session = requests.Session()

    @property
    def url(self) -> str:
        """The node's HTTP JSON-RPC URL."""
        return f"http://127.0.0.1:{self.port}"

    def _argv(self) -> list[str]:
        argv = [str(ANVIL_BINARY), "--port", str(self.port), "--hardfork", "cancun", "--silent"]
        if self.chain_id is not None:
            argv += ["--chain-id", str(self.chain_id)]
        if self.no_mining:
            argv.append("--no-mining")
        if self.state_path is not None:
            argv += ["--state", str(self.state_path)]
        if self.state_interval is not None:
            argv += ["--state-interval", str(self.state_interval)]
        return argv + list(self.extra_args)

    def start(self, timeout: float = 20.0) -> Anvil:
        """Start the node and wait until it answers."""
        if self._proc is not None and self._proc.poll() is None:
            raise RuntimeError("anvil is already running")
        self._proc = subprocess.Popen(
            self._argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _LIVE.add(self)
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise RuntimeError(f"anvil exited with {self._proc.returncode}: {err.strip()}")
            try:
                self.rpc("eth_chainId")
                return self
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise TimeoutError(f"anvil did not answer on {self.url} within {timeout} s") from None
                time.sleep(0.01)

    def rpc(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call; the result, or ``RuntimeError`` with the node's error."""
        reply = self._session.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=60
        ).json()
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def web3(self, provider: HTTPProvider | None = None) -> Web3:
        """A ``Web3`` on this node (through ``provider`` when given)."""
        return Web3(provider or HTTPProvider(self.url, request_kwargs={"timeout": 60}))

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: anvil dumps ``--state`` on the way out)."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._close(proc)

    def kill(self) -> None:
        """SIGKILL: a crash. Whatever anvil had not dumped is lost."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        self._close(proc)

    def _close(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.stderr is not None:
            proc.stderr.close()
        self._proc = None
        _LIVE.discard(self)

    def restart(self) -> Anvil:
        """Start again on the same port (after :meth:`kill` or :meth:`stop`)."""
        self.kill()
        return self.start()

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
        self._session.close()


@atexit.register
def _kill_leftovers() -> None:
    for node in list(_LIVE):
        node.kill()


class _FaultySessionManager(HTTPSessionManager):
    def __init__(self, owner: FaultyHTTPProvider) -> None:
        super().__init__()
        self._owner = owner

    def make_post_request(self, endpoint_uri: Any, data: bytes | dict[str, Any], **kwargs: Any) -> bytes:
        reply = super().make_post_request(endpoint_uri, data, **kwargs)
        self._owner._after_reply(data)
        return reply


class InjectedFaultError(ConnectionError):
    """A lost reply. A builtin ``ConnectionError``: the kind web3.py's HTTP provider retries (it retries
    ``ConnectionError``, ``requests.HTTPError`` and ``requests.Timeout``, not ``requests.ConnectionError``)."""


class FaultyHTTPProvider(HTTPProvider):
    """An HTTP provider that loses replies: the request reaches the node, the reply never reaches the caller.

    After forwarding a request whose method is in ``methods`` (a JSON-RPC batch counts when any of its
    calls is), it raises :class:`InjectedFaultError` instead of returning, ``faults`` times in all. The
    provider's own retry logic (web3.py retries ``eth_sendRawTransaction`` up to 5 times) stays in place,
    so a retry re-sends the same request to a node that already has it.

    Attributes:
        faults: injected failures left.
        injected: injected failures so far.
        forwarded: requests of the watched methods forwarded so far.
        after_forward: optional hook called with the count of watched requests forwarded so far, after each
            one (e.g. to kill the node at a chosen point).
    """

    def __init__(
        self,
        endpoint_uri: str,
        *,
        faults: int = 0,
        methods: Iterable[str] = ("eth_sendRawTransaction",),
        after_forward: Callable[[int], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(endpoint_uri, **kwargs)
        self.faults = faults
        self.methods = frozenset(methods)
        self.injected = 0
        self.forwarded = 0
        self.after_forward = after_forward
        self._fault_lock = threading.Lock()
        self._request_session_manager = _FaultySessionManager(self)

    def _after_reply(self, data: bytes | dict[str, Any]) -> None:
        payload = json.loads(data) if isinstance(data, bytes | str) else data
        calls = payload if isinstance(payload, list) else [payload]
        if not any(isinstance(c, dict) and c.get("method") in self.methods for c in calls):
            return
        with self._fault_lock:
            self.forwarded += 1
            count = self.forwarded
            inject = self.faults > 0
            if inject:
                self.faults -= 1
                self.injected += 1
        if self.after_forward is not None:
            self.after_forward(count)
        if inject:
            raise InjectedFaultError("injected fault: the node got the request, the reply was lost")


@dataclass(frozen=True)
class Compiled:
    """One compiled contract."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    runtime: bytes


def compile_solidity(sources: dict[str, str]) -> dict[str, Compiled]:
    """Compile ``{file name: source}`` with the pinned solc-js (``tools/solc``, EVM cancun, optimizer on)."""
    import solcx

    request = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "evmVersion": "cancun",
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
        },
    }
    out = solcx.compile_standard(request, solc_binary=str(SOLC_BRIDGE))
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise RuntimeError("solc: " + "; ".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    compiled: dict[str, Compiled] = {}
    for contracts in out["contracts"].values():
        for name, body in contracts.items():
            compiled[name] = Compiled(
                name,
                body["abi"],
                bytes.fromhex(body["evm"]["bytecode"]["object"]),
                bytes.fromhex(body["evm"]["deployedBytecode"]["object"]),
            )
    return compiled


def deploy(w3: Web3, account: LocalAccount, contract: Compiled, *args: Any) -> str:
    """Deploy ``contract`` from ``account`` with plain web3.py; returns the checksum address."""
    factory = w3.eth.contract(abi=contract.abi, bytecode=contract.bytecode)
    tx = factory.constructor(*args).build_transaction(
        {"from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending")}
    )
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
    if receipt["status"] != 1 or receipt["contractAddress"] is None:
        raise RuntimeError(f"deploying {contract.name} failed: {receipt}")
    return str(receipt["contractAddress"])
