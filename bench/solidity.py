"""Compile Solidity for the bench through the project's solc-js bridge, with a content-addressed cache.

The bench never downloads a compiler: it runs ``tools/solc-bridge.js`` (solc-js from ``node_modules``) with
``--standard-json``. Every source the entry files reach is read here and put into the standard-JSON input,
so the SHA-256 of that input (plus the compiler package version) is a complete cache key: the compiled
artifacts (ABI and creation bytecode only) are kept under ``bench/.cache/`` and reused while no source, setting
or compiler changes. Seaport takes 16-22 s to compile with viaIR; a cache hit takes milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.errors import CompileError

__all__ = [
    "PROJECT_ROOT",
    "SEAPORT_SETTINGS",
    "SUITE_SETTINGS",
    "Artifact",
    "CompileResult",
    "CompilerSettings",
    "collect_sources",
    "compile_contracts",
    "compiler_version",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the compiler's base path; ``node_modules`` is its include path."""

_BRIDGE = PROJECT_ROOT / "tools" / "solc-bridge.js"
_NODE_MODULES = PROJECT_ROOT / "node_modules"
_DEFAULT_CACHE = PROJECT_ROOT / "bench" / ".cache"


@dataclass(frozen=True)
class CompilerSettings:
    """One compiler and its settings: the npm package of solc-js and the standard-JSON settings used.

    Attributes:
        solc_package: npm package the bridge loads (``"solc"`` or the alias ``"solc-0.8.24"``).
        evm_version: the target EVM (``"cancun"``).
        optimizer_runs: the optimizer's ``runs`` (the optimizer is always on).
        via_ir: compile through the Yul IR pipeline.
    """

    solc_package: str
    evm_version: str
    optimizer_runs: int
    via_ir: bool

    def standard_json_settings(self) -> dict[str, Any]:
        """The ``settings`` object of the standard-JSON input (without ``outputSelection``)."""
        return {
            "evmVersion": self.evm_version,
            "optimizer": {"enabled": True, "runs": self.optimizer_runs},
            "viaIR": self.via_ir,
        }

    def describe(self) -> str:
        """A one-line human description, e.g. ``solc 0.8.28, cancun, optimizer runs 10000``."""
        ir = ", viaIR" if self.via_ir else ""
        return f"solc {compiler_version(self)}, {self.evm_version}, optimizer runs {self.optimizer_runs}{ir}"


SUITE_SETTINGS = CompilerSettings(solc_package="solc", evm_version="cancun", optimizer_runs=10_000, via_ir=False)
"""The settings of the pyclaims suite (``foundry.toml``): solc 0.8.28, cancun, optimizer runs 10000, no viaIR."""

SEAPORT_SETTINGS = CompilerSettings(
    solc_package="solc-0.8.24", evm_version="cancun", optimizer_runs=4_294_967_295, via_ir=True
)
"""Seaport 1.6's own release settings; it compiles with solc 0.8.24 only (0.8.28 hits StackTooDeep)."""


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: its ABI and creation bytecode."""

    source: str
    name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: bytes


@dataclass(frozen=True)
class CompileResult:
    """The artifacts of one compilation, with how they were obtained.

    Attributes:
        artifacts: ``"<source unit>:<contract>"`` -> artifact, for every contract with bytecode in the entry files.
        input_hash: SHA-256 (hex) of the compiler package version and the full standard-JSON input.
        cached: True when the artifacts came from ``bench/.cache/``.
        seconds: wall time of the compilation (or of the cache read).
    """

    artifacts: Mapping[str, Artifact]
    input_hash: str
    cached: bool
    seconds: float

    def get(self, name: str) -> Artifact:
        """The artifact called ``name`` (``"Contract"`` or ``"path.sol:Contract"``); exactly one must match."""
        if ":" in name:
            try:
                return self.artifacts[name]
            except KeyError:
                raise CompileError(f"artifact {name!r}: not produced (have {sorted(self.artifacts)})") from None
        matches = [a for key, a in self.artifacts.items() if key.rsplit(":", 1)[1] == name]
        if len(matches) != 1:
            raise CompileError(
                f"artifact {name!r}: {len(matches)} contracts of that name (have {sorted(self.artifacts)})"
            )
        return matches[0]


_VERSION_CACHE: dict[str, str] = {}


def compiler_version(settings: CompilerSettings) -> str:
    """The version of the npm solc-js package the settings name (read from its ``package.json``)."""
    if settings.solc_package not in _VERSION_CACHE:
        manifest = _NODE_MODULES / settings.solc_package / "package.json"
        try:
            version = json.loads(manifest.read_text(encoding="utf-8"))["version"]
        except (OSError, ValueError, KeyError) as exc:
            raise CompileError(
                f"solc_package: cannot read {manifest} ({exc}); run the npm set-up (npm ci) first"
            ) from exc
        _VERSION_CACHE[settings.solc_package] = str(version)
    return _VERSION_CACHE[settings.solc_package]


# Strings are kept (imports live in them), comments are blanked, so a commented-out import is not followed.
_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|//[^\n]*|/\*.*?\*/', re.DOTALL)
_IMPORT = re.compile(r'\bimport\s+(?:[^;"\']*?\bfrom\s+)?["\']([^"\']+)["\']\s*(?:as\s+\w+\s*)?;')


def _strip_comments(text: str) -> str:
    return _TOKEN.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'" else " ", text)


def _imports_of(text: str) -> list[str]:
    return _IMPORT.findall(_strip_comments(text))


def _resolve_unit(importer: str, path: str) -> str:
    """The source unit name solc gives ``import path`` written in unit ``importer``."""
    if path.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), path))
    return path


def _read_unit(unit: str, roots: Sequence[Path]) -> str:
    for root in roots:
        candidate = root / unit
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise CompileError(f"source {unit!r}: not found under {', '.join(str(r) for r in roots)}")


def collect_sources(entries: Iterable[str], roots: Sequence[Path] | None = None) -> dict[str, str]:
    """Every source unit reachable from ``entries`` by imports: unit name -> content.

    Unit names are resolved as solc does: relative imports against the importing unit's directory, others
    as written; each is read from the first of ``roots`` (default: the project root, then ``node_modules``).
    """
    search = list(roots) if roots is not None else [PROJECT_ROOT, _NODE_MODULES]
    sources: dict[str, str] = {}
    pending = list(entries)
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        text = _read_unit(unit, search)
        sources[unit] = text
        pending.extend(_resolve_unit(unit, imported) for imported in _imports_of(text))
    return dict(sorted(sources.items()))


def _standard_input(entries: Sequence[str], sources: Mapping[str, str], settings: CompilerSettings) -> dict[str, Any]:
    selection: dict[str, Any] = {unit: {"*": ["abi", "evm.bytecode.object"]} for unit in entries}
    return {
        "language": "Solidity",
        "sources": {unit: {"content": text} for unit, text in sources.items()},
        "settings": {**settings.standard_json_settings(), "outputSelection": selection},
    }


def _run_bridge(payload: str, settings: CompilerSettings) -> dict[str, Any]:
    env = {**os.environ, "SOLC_BRIDGE_SOLC": settings.solc_package}
    command = [
        "node",
        str(_BRIDGE),
        "--standard-json",
        "--base-path",
        str(PROJECT_ROOT),
        "--include-path",
        "node_modules",
    ]
    try:
        proc = subprocess.run(
            command, input=payload, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=False
        )
    except OSError as exc:
        raise CompileError(f"cannot run the solc bridge ({' '.join(command)}): {exc}") from exc
    if proc.returncode != 0:
        raise CompileError(f"solc bridge exited {proc.returncode}: {proc.stderr.strip()[:2000]}")
    try:
        output: dict[str, Any] = json.loads(proc.stdout)
    except ValueError as exc:
        raise CompileError(f"solc bridge printed no JSON: {proc.stdout[:500]!r} {proc.stderr[:500]!r}") from exc
    return output


def _extract(output: Mapping[str, Any], entries: Sequence[str], sources: Mapping[str, str]) -> dict[str, Any]:
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(str(e.get("formattedMessage", e.get("message"))) for e in errors))
    unexpected = set(output.get("sources", {})) - set(sources)
    if unexpected:  # an import this module did not follow: the cache key would be incomplete
        raise CompileError(f"compiler read sources the bench did not collect: {sorted(unexpected)}")
    artifacts: dict[str, Any] = {}
    for unit in entries:
        for name, contract in output.get("contracts", {}).get(unit, {}).items():
            code = contract["evm"]["bytecode"]["object"]
            if code:
                artifacts[f"{unit}:{name}"] = {"source": unit, "name": name, "abi": contract["abi"], "bytecode": code}
    return artifacts


def _to_result(raw: Mapping[str, Any], input_hash: str, cached: bool, seconds: float) -> CompileResult:
    return CompileResult(
        artifacts={
            key: Artifact(
                source=str(a["source"]),
                name=str(a["name"]),
                abi=tuple(a["abi"]),
                bytecode=bytes.fromhex(str(a["bytecode"]).removeprefix("0x")),
            )
            for key, a in raw.items()
        },
        input_hash=input_hash,
        cached=cached,
        seconds=seconds,
    )


def compile_contracts(
    entries: Sequence[str],
    settings: CompilerSettings,
    *,
    cache_dir: Path | None = _DEFAULT_CACHE,
    roots: Sequence[Path] | None = None,
) -> CompileResult:
    """Compile the entry source units (e.g. ``"bench/contracts/FloorSwap.sol"``) with ``settings``.

    Artifacts are returned for every contract with bytecode defined in an entry file. With a ``cache_dir``
    the result is read from / written to ``<cache_dir>/solc-<input hash>.json``; ``None`` disables the cache.
    """
    if not entries:
        raise CompileError("entries: at least one source unit is required")
    start = time.perf_counter()
    sources = collect_sources(entries, roots)
    standard_input = _standard_input(list(entries), sources, settings)
    payload = json.dumps(standard_input, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256()
    digest.update(f"{settings.solc_package}@{compiler_version(settings)}\n".encode())
    digest.update(payload.encode())
    input_hash = digest.hexdigest()

    cache_file = cache_dir / f"solc-{input_hash}.json" if cache_dir is not None else None
    if cache_file is not None and cache_file.is_file():
        try:
            raw = json.loads(cache_file.read_text(encoding="utf-8"))
            return _to_result(raw, input_hash, True, time.perf_counter() - start)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is rebuilt below

    raw = _extract(_run_bridge(payload, settings), list(entries), sources)
    if not raw:
        raise CompileError(f"entries {list(entries)}: no contract with bytecode")
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=cache_file.parent, prefix=".tmp-", suffix=".json", delete=False, encoding="utf-8"
        ) as handle:
            json.dump(raw, handle)
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, cache_file)  # atomic: concurrent runs never read half a file
    return _to_result(raw, input_hash, False, time.perf_counter() - start)
