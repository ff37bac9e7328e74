"""The conditions a benchmark run was measured under: compilers, node, packages, machine, source commit."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from bench.anchors import hardhat_artifact, solc_version_of
from bench.anvil import anvil_version
from bench.solidity import PROJECT_ROOT, SEAPORT_SETTINGS, SUITE_SETTINGS

__all__ = ["collect_conditions", "cpu_model", "npm_version"]

_NODE_MODULES = PROJECT_ROOT / "node_modules"


def _run(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=30, cwd=PROJECT_ROOT)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def npm_version(package: str) -> str:
    """The installed version of an npm package (from its ``package.json``), or ``"missing"``."""
    try:
        return str(json.loads((_NODE_MODULES / package / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "missing"


def _py_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "missing"


def cpu_model() -> str:
    """The CPU model from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def _shipped_compiler(relative: str) -> str:
    path = _NODE_MODULES / relative
    try:
        version = solc_version_of(hardhat_artifact(path).bytecode)
    except Exception:  # a condition line must never break the run
        return "unknown"
    return f"solc {version}" if version else "unknown"


def _merkle_compiler() -> str:
    path = _NODE_MODULES / "@uniswap" / "merkle-distributor" / "build" / "MerkleDistributor.json"
    try:
        meta = json.loads(json.loads(path.read_text(encoding="utf-8"))["metadata"])
        version = str(meta["compiler"]["version"]).split("+")[0]
        optimizer = meta["settings"]["optimizer"]
        evm = meta["settings"].get("evmVersion", "default")
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"
    runs = f"optimizer runs {optimizer['runs']}" if optimizer.get("enabled") else "optimizer off"
    return f"solc {version}, {evm}, {runs}"


def _git(*args: str) -> str:
    return _run(["git", *args])


def collect_conditions(
    *, stablecoin: str, hardfork: str, genesis_timestamp: int | None, chain_id: int
) -> dict[str, str]:
    """Everything BENCHMARKS.md states about how the figures were obtained (strings, for JSON and Markdown)."""
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "pyclaims_compiler": f"{SUITE_SETTINGS.describe()} (solc-js from npm through tools/solc-bridge.js)",
        "bench_contracts_compiler": f"{SUITE_SETTINGS.describe()} (FloorSwap, BenchNFT, the stablecoin)",
        "seaport_compiler": f"{SEAPORT_SETTINGS.describe()} (Seaport's release settings; compiled from npm)",
        "trex_compiler": "artifacts shipped in @tokenysolutions/t-rex "
        f"({_shipped_compiler('@tokenysolutions/t-rex/artifacts/contracts/token/Token.sol/Token.json')})",
        "onchainid_proxy_compiler": "artifact shipped in @onchain-id/solidity, optimizer off ("
        + _shipped_compiler("@onchain-id/solidity/artifacts/contracts/proxy/IdentityProxy.sol/IdentityProxy.json")
        + ")",
        "merkle_distributor_compiler": f"build shipped in @uniswap/merkle-distributor ({_merkle_compiler()})",
        "evm_version": hardfork,
        "node": f"{anvil_version()} (npm @foundry-rs/anvil-linux-amd64), fresh node per run, --hardfork {hardfork}",
        "chain_id": str(chain_id),
        "genesis_timestamp": str(genesis_timestamp) if genesis_timestamp is not None else "now",
        "stablecoin": stablecoin,
        "packages": ", ".join(
            f"{name} {npm_version(name)}"
            for name in (
                "seaport-core",
                "seaport-types",
                "@tokenysolutions/t-rex",
                "@onchain-id/solidity",
                "@uniswap/merkle-distributor",
                "@openzeppelin/contracts",
                "solc",
                "solc-0.8.24",
            )
        ),
        "python": f"{platform.python_implementation()} {platform.python_version()}; web3 {_py_version('web3')}, "
        f"eth-account {_py_version('eth-account')}, coincurve {_py_version('coincurve')}",
        "nodejs": _run(["node", "--version"]),
        "machine": f"{cpu_model()}, {os.cpu_count()} CPUs (nproc {_run(['nproc'])}), {_memory_gib()} RAM, "
        f"{platform.system()} {platform.release()}",
        "commit": _git("rev-parse", "--short=12", "HEAD")
        + (" (with uncommitted changes)" if dirty not in ("", "unknown") else ""),
    }
