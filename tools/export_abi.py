"""Export the ABIs (and bytecode) the SDK ships in ``pyclaims/abi/`` from the Solidity sources.

Usage (from the repository root)::

    .venv/bin/python tools/export_abi.py            # compile and (re)write pyclaims/abi/*.json
    .venv/bin/python tools/export_abi.py --check    # compile and exit 1 if the shipped files drift

The compiler is the pinned solc-js 0.8.28 through the project's bridge (``tools/solc-bridge.js``), with the
settings of ``foundry.toml`` and ``ape-config.yaml``: optimizer on, 10,000 runs, EVM ``cancun``, no via-IR,
``@openzeppelin/contracts/`` from ``node_modules``. Same compiler and settings give the same code as forge's
and Ape's builds; only the CBOR metadata hash differs (it covers source paths), which is why the drift check
compares code with the metadata hashes masked (:func:`mask_metadata`) and the ABI exactly.

Each ``pyclaims/abi/<Name>.json`` holds::

    {"contractName", "sourceName", "abi",
     "bytecode"            (deployables only: ClaimToken, MockUSDC; 0x hex creation code),
     "deployedBytecode"    (0x hex runtime code as compiled, immutables zeroed),
     "immutableReferences" ([[start, length], ...] byte ranges of immutables in the runtime code),
     "compiler"            ({"solc", "optimizer", "optimizer_runs", "evm_version", "via_ir"})}

The SDK uses ``bytecode`` to deploy without Ape, and ``deployedBytecode`` + ``immutableReferences`` to check
that an address holds our contract whatever its immutables (addresses set at construction) are.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = [
    "ABI_DIR",
    "CONTRACTS",
    "DEPLOYABLES",
    "SETTINGS",
    "artifact",
    "compile_suite",
    "drift",
    "mask_metadata",
    "render",
    "solc_version",
    "write",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
ABI_DIR = REPO_ROOT / "pyclaims" / "abi"
BRIDGE = REPO_ROOT / "tools" / "solc-bridge.js"

CONTRACTS: dict[str, str] = {
    "ClaimToken": "contracts/ClaimToken.sol",
    "ClaimMarket": "contracts/ClaimMarket.sol",
    "ClaimDistributor": "contracts/ClaimDistributor.sol",
    "MockUSDC": "contracts/mocks/MockUSDC.sol",
}
"""Contract name -> source file, for every contract whose ABI the SDK ships."""

DEPLOYABLES = frozenset({"ClaimToken", "MockUSDC"})
"""Contracts whose creation code is shipped (the market and the distributor are created by the token)."""

SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 10_000},
    "viaIR": False,
    "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
            ]
        }
    },
}
"""Standard-JSON settings: those of foundry.toml / ape-config.yaml."""

# solc's CBOR metadata with an IPFS hash: a2 64 "ipfs" 58 22 <34-byte multihash> 64 "solc" 43 <3-byte version> 00 33
_METADATA = re.compile(rb"\xa2\x64ipfs\x58\x22(.{34})\x64solc\x43...\x00\x33", re.DOTALL)


def mask_metadata(code: bytes) -> bytes:
    """``code`` with the hash of every embedded CBOR metadata blob zeroed (nested creation code included)."""
    return _METADATA.sub(lambda m: m.group(0)[:8] + bytes(34) + m.group(0)[42:], code)


def _bridge(args: list[str], stdin: str | None = None) -> str:
    done = subprocess.run(
        ["node", str(BRIDGE), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"solc bridge failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def solc_version() -> str:
    """The bridge's compiler version (``0.8.28+commit...``)."""
    for line in _bridge(["--version"]).splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise RuntimeError("solc bridge: no version line")


def compile_suite() -> dict[str, dict[str, Any]]:
    """Compile the shipped contracts; ``{name: standard-JSON contract output}``."""
    request = {
        "language": "Solidity",
        "sources": {path: {"urls": [path]} for path in sorted(set(CONTRACTS.values()))},
        "settings": SETTINGS,
    }
    out = json.loads(
        _bridge(
            ["--standard-json", "--base-path", ".", "--include-path", "node_modules"],
            stdin=json.dumps(request),
        )
    )
    errors = [e.get("formattedMessage", e.get("message")) for e in out.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError("solc: " + "\n".join(errors))
    return {name: out["contracts"][path][name] for name, path in CONTRACTS.items()}


def artifact(name: str, output: dict[str, Any], version: str) -> dict[str, Any]:
    """The JSON document shipped for one contract."""
    evm = output["evm"]
    ranges = sorted(
        (int(ref["start"]), int(ref["length"]))
        for refs in evm["deployedBytecode"]["immutableReferences"].values()
        for ref in refs
    )
    doc: dict[str, Any] = {"contractName": name, "sourceName": CONTRACTS[name], "abi": output["abi"]}
    if name in DEPLOYABLES:
        doc["bytecode"] = "0x" + evm["bytecode"]["object"]
    doc["deployedBytecode"] = "0x" + evm["deployedBytecode"]["object"]
    doc["immutableReferences"] = [list(r) for r in ranges]
    doc["compiler"] = {
        "solc": version.split("+", 1)[0],
        "optimizer": True,
        "optimizer_runs": SETTINGS["optimizer"]["runs"],
        "evm_version": SETTINGS["evmVersion"],
        "via_ir": SETTINGS["viaIR"],
    }
    return doc


def render(doc: dict[str, Any]) -> str:
    """The file text of an artifact (stable formatting, so re-exports diff cleanly)."""
    return json.dumps(doc, indent=1) + "\n"


def _code(doc: dict[str, Any], key: str) -> bytes | None:
    text = doc.get(key)
    return None if text is None else mask_metadata(bytes.fromhex(str(text).removeprefix("0x")))


def drift(shipped: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """What differs between a shipped artifact and a fresh one (ABI exactly; code with metadata masked)."""
    problems: list[str] = []
    name = fresh["contractName"]
    for key in ("contractName", "sourceName", "abi", "immutableReferences", "compiler"):
        if shipped.get(key) != fresh.get(key):
            problems.append(f"{name}: {key} differs from the sources")
    for key in ("bytecode", "deployedBytecode"):
        if _code(shipped, key) != _code(fresh, key):
            problems.append(f"{name}: {key} differs from the sources (metadata hash ignored)")
    return problems


def write(directory: Path = ABI_DIR) -> list[Path]:
    """Compile and write every artifact; returns the files written."""
    version = solc_version()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, output in compile_suite().items():
        path = directory / f"{name}.json"
        path.write_text(render(artifact(name, output, version)), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if pyclaims/abi/ drifts from the sources")
    args = parser.parse_args(argv)
    if not args.check:
        for path in write():
            print(f"wrote {path.relative_to(REPO_ROOT)}")
        return 0
    version = solc_version()
    problems: list[str] = []
    for name, output in compile_suite().items():
        path = ABI_DIR / f"{name}.json"
        if not path.exists():
            problems.append(f"{name}: {path.relative_to(REPO_ROOT)} is missing")
            continue
        problems.extend(drift(json.loads(path.read_text(encoding="utf-8")), artifact(name, output, version)))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("run: .venv/bin/python tools/export_abi.py", file=sys.stderr)
        return 1
    print("pyclaims/abi/ matches the sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
