"""Fixtures for the toolchain tests: a real anvil per test module, and a scratch copy of the project for Ape.

Nothing here is mocked: the compiler is the installed solc-js bridge, the node is the npm anvil, and the deploy
script runs through ``ape run`` exactly as a person runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["REPO_ROOT", "AnvilNode", "ApeProject"]

REPO_ROOT = Path(__file__).resolve().parents[2]
ANVIL_BIN = REPO_ROOT / "node_modules" / ".bin" / "anvil"
VENV_BIN = REPO_ROOT / ".venv" / "bin"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AnvilNode:
    """A running npm anvil (cancun, chain id 31337) and a tiny JSON-RPC client for it."""

    url: str
    process: subprocess.Popen[bytes]
    _next_id: int = field(default=0)

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        """Call a JSON-RPC method; raise with the node's error message if it answers with an error."""
        self._next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params or []})
        request = urllib.request.Request(  # noqa: S310 - a local node started by this fixture
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            reply = json.loads(response.read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def block_number(self) -> int:
        return int(self.rpc("eth_blockNumber"), 16)

    def code(self, address: str) -> str:
        return str(self.rpc("eth_getCode", [address, "latest"]))

    def call(self, to: str, data: str) -> str:
        return str(self.rpc("eth_call", [{"to": to, "data": data}, "latest"]))


def _start_anvil(port: int) -> AnvilNode:
    if not ANVIL_BIN.exists():
        pytest.fail(f"{ANVIL_BIN} is missing: run `make setup` (npm ci) first")
    process = subprocess.Popen(
        [str(ANVIL_BIN), "--host", "127.0.0.1", "--port", str(port), "--hardfork", "cancun", "--chain-id", "31337"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    node = AnvilNode(url=f"http://127.0.0.1:{port}", process=process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode() if process.stderr else ""
            pytest.fail(f"anvil exited with {process.returncode}: {err}")
        try:
            node.block_number()
            return node
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail(f"anvil did not answer on {node.url} within 20 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stderr:
        process.stderr.close()


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilNode]:
    """A fresh anvil on a free port for the test module; stopped afterwards."""
    node = _start_anvil(free_port())
    try:
        yield node
    finally:
        _stop(node.process)


@dataclass(frozen=True)
class ApeProject:
    """A scratch copy of the project (contracts, deploy script, ape-config) with its own Ape data folder."""

    path: Path
    env: Mapping[str, str]

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run ``ape <args>`` in the scratch project, no stdin, and return its result (never raises on failure)."""
        return subprocess.run(
            [str(VENV_BIN / "ape"), *args],
            cwd=self.path,
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def registry(self, name: str = "ethereum-local") -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "deployments" / f"{name}.json").read_text())
        return data


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=pyclaims tests", "-c", "user.email=tests@pyclaims.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def _make_ape_project(root: Path, extra_config: str = "") -> ApeProject:
    """Copy what ``ape run deploy`` needs into ``root`` (a git repo with one commit) and compile it once."""
    if not (REPO_ROOT / "contracts" / "ClaimToken.sol").exists():
        pytest.fail("contracts/ClaimToken.sol is not there yet: the deploy tests need the real contracts")
    deps = REPO_ROOT / ".cache" / "deps"
    if not deps.is_dir():
        pytest.fail(f"{deps} is missing: run `make setup` first")
    shutil.copytree(REPO_ROOT / "contracts", root / "contracts", ignore=shutil.ignore_patterns(".cache"))
    (root / "scripts").mkdir()
    shutil.copy2(REPO_ROOT / "scripts" / "deploy.py", root / "scripts" / "deploy.py")
    config = (REPO_ROOT / "ape-config.yaml").read_text()
    (root / "ape-config.yaml").write_text(config + ("\n" + extra_config if extra_config else ""))
    (root / ".cache").mkdir()
    (root / ".cache" / "deps").symlink_to(deps, target_is_directory=True)
    (root / ".gitignore").write_text(".build/\n.cache/\ncontracts/.cache/\ndeployments/\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "scratch copy for the deploy tests")

    env = dict(os.environ)
    env["APE_DATA_FOLDER"] = str(root / ".ape-data")
    env["PATH"] = f"{REPO_ROOT / 'node_modules' / '.bin'}{os.pathsep}{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("APE_FOUNDRY_HOST", None)
    for name in ("PYCLAIMS_DEPLOYER", "PYCLAIMS_STABLECOIN", "WEB3_PROVIDER_URI"):
        env.pop(name, None)
    project = ApeProject(path=root, env=env)
    compiled = project.run("compile")
    assert compiled.returncode == 0, f"ape compile failed:\n{compiled.stdout}\n{compiled.stderr}"
    return project


@pytest.fixture(scope="module")
def make_ape_project() -> Callable[[Path, str], ApeProject]:
    """Factory: ``make_ape_project(root, extra_config)`` builds and compiles a scratch Ape project in ``root``."""
    return _make_ape_project
