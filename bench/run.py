"""THE benchmark entry point (``make bench``): one fresh anvil, one run, every figure, one report.

::

    python -m bench.run                 # full run: bench/results.json and BENCHMARKS.md
    python -m bench.run --quick         # CI: small N, writes under bench/.cache/ unless --out/--markdown
    python -m bench.run --only anchors  # some groups only (never overwrites the committed results by default)

Groups (``bench/figures.py``) run in order on the same node and share one :class:`~bench.context.BenchContext`:
``anchors`` (``bench/anchors.py``), ``pyclaims`` (``bench/pyclaims_gas.py``), ``sign`` (``bench/bench_sign.py``),
``tx`` (``bench/bench_tx.py``). Each is a module with ``measure(ctx) -> Mapping[str, int | float]``; a module
that does not exist yet is reported as not measured. A module that raises, or returns a malformed figure, breaks
the bench: the run still writes what it measured and then exits 1. A missed target never fails the run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.anvil import BENCH_GENESIS_TIMESTAMP, AnvilNode, dev_accounts
from bench.chain import Chain
from bench.conditions import collect_conditions
from bench.context import BenchContext, Figures, resolve_stablecoin
from bench.errors import BenchError
from bench.figures import FIGURES, GROUPS, STABLE_NAMES, GroupSpec
from bench.report import compute_ratios, evaluate_targets, load_notes, render_markdown
from bench.solidity import PROJECT_ROOT

__all__ = ["MARKDOWN_FULL", "RESULTS_FULL", "RunOutcome", "main", "run"]

_CACHE = PROJECT_ROOT / "bench" / ".cache"
RESULTS_FULL = PROJECT_ROOT / "bench" / "results.json"
"""Where a full run of every group writes its figures (committed)."""
MARKDOWN_FULL = PROJECT_ROOT / "BENCHMARKS.md"
"""The report a full run regenerates (committed)."""


@dataclass(frozen=True)
class RunOutcome:
    """What a run produced: the results written, where, and whether every group that ran worked."""

    results: Mapping[str, Any]
    results_path: Path
    markdown_path: Path | None
    broken: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when no group broke (missed targets do not count)."""
        return not self.broken


def _load(spec: GroupSpec) -> Callable[[BenchContext], Figures] | None:
    """The group's ``measure``; None when its module does not exist yet."""
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        if exc.name == spec.module:
            return None
        raise
    measure = getattr(module, "measure", None)
    if not callable(measure):
        raise BenchError(f"{spec.module}: has no measure(ctx) function (the bench/run.py group interface)")
    return measure  # type: ignore[no-any-return]


def _validate(group: str, figures: object) -> dict[str, int | float]:
    if not isinstance(figures, Mapping):
        raise BenchError(f"group {group}: measure(ctx) returned {type(figures).__name__}, not a mapping")
    clean: dict[str, int | float] = {}
    for name, value in figures.items():
        if not isinstance(name, str) or not name:
            raise BenchError(f"group {group}: figure name {name!r} is not a non-empty string")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise BenchError(f"group {group}: figure {name} = {value!r} is not a finite non-negative number")
        spec = FIGURES.get(name)
        if spec is not None and spec.group != group:
            raise BenchError(f"group {group}: figure {name} belongs to group {spec.group}")
        clean[name] = value
    return clean


def _default_paths(quick: bool, partial: bool) -> tuple[Path, Path]:
    if quick:
        return _CACHE / "results.quick.json", _CACHE / "BENCHMARKS.quick.md"
    if partial:
        return _CACHE / "results.partial.json", _CACHE / "BENCHMARKS.partial.md"
    return RESULTS_FULL, MARKDOWN_FULL


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(
    *,
    quick: bool = False,
    only: Sequence[str] | None = None,
    stablecoin: str = "auto",
    out: Path | None = None,
    markdown: Path | None = None,
    write_markdown: bool = True,
) -> RunOutcome:
    """Run the selected groups (all by default) on one fresh anvil; write results JSON and Markdown."""
    names = [g.name for g in GROUPS]
    selected = list(only) if only else names
    unknown = [n for n in selected if n not in names]
    if unknown:
        raise ValueError(f"only: unknown groups {unknown} (known: {', '.join(names)})")
    coin = resolve_stablecoin(stablecoin)
    default_out, default_md = _default_paths(quick, partial=bool(only) and set(selected) != set(names))
    results_path = out or default_out
    markdown_path = (markdown or default_md) if write_markdown else None
    notes = load_notes()  # a malformed notes file fails before the node starts

    figures: dict[str, int | float] = {}
    groups: dict[str, dict[str, Any]] = {}
    missing: dict[str, str] = {}
    broken: list[str] = []
    start = time.perf_counter()
    node = AnvilNode(genesis_timestamp=BENCH_GENESIS_TIMESTAMP)
    with node:
        w3 = node.web3()
        ctx = BenchContext(
            node=node, w3=w3, chain=Chain(w3), accounts=tuple(dev_accounts(node.accounts)),
            stablecoin=coin, quick=quick,
        )  # fmt: skip
        conditions = collect_conditions(
            stablecoin=coin.label, hardfork=node.hardfork, genesis_timestamp=node.genesis_timestamp,
            chain_id=ctx.chain.chain_id,
        )  # fmt: skip
        for spec in GROUPS:
            if spec.name not in selected:
                groups[spec.name] = {"status": "not selected"}
                continue
            group_start = time.perf_counter()
            try:
                measure = _load(spec)
                if measure is None:
                    groups[spec.name] = {"status": f"not written yet: {spec.module.replace('.', '/')}.py"}
                    _log(f"[{spec.name}] skipped: {spec.module} does not exist yet")
                    continue
                _log(f"[{spec.name}] measuring ...")
                measured = _validate(spec.name, measure(ctx))
            except Exception as exc:  # any failure of a group is reported, then the run fails
                broken.append(spec.name)
                groups[spec.name] = {"status": f"failed: {type(exc).__name__}: {exc}"}
                _log(f"[{spec.name}] FAILED\n{traceback.format_exc()}")
                continue
            seconds = time.perf_counter() - group_start
            figures |= measured
            groups[spec.name] = {"status": "ok", "seconds": round(seconds, 2), "figures": sorted(measured)}
            _log(f"[{spec.name}] ok in {seconds:.1f} s")

    for name in STABLE_NAMES:
        if name not in figures:
            status = groups.get(FIGURES[name].group, {}).get("status", "not run")
            missing[name] = "not returned by its group" if status == "ok" else status
    all_figures: dict[str, int | float | None] = {name: figures.get(name) for name in STABLE_NAMES}
    all_figures |= {name: value for name, value in figures.items() if name not in all_figures}
    results: dict[str, Any] = {
        "schema": 1,
        "mode": "quick" if quick else "full",
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.perf_counter() - start, 1),
        "figures": all_figures,
        "missing": missing,
        "targets": [t.to_json() for t in evaluate_targets(all_figures)],
        "ratios": compute_ratios(all_figures),
        "groups": groups,
        "conditions": conditions,
    }
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if markdown_path is not None:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(render_markdown(results, notes), encoding="utf-8")
    return RunOutcome(results=results, results_path=results_path, markdown_path=markdown_path, broken=tuple(broken))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: exit 0 when the bench worked (missed targets included), 1 when it broke, 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description="pyclaims benchmarks: one node, one run.")
    parser.add_argument("--quick", action="store_true", help="small N for CI (outputs under bench/.cache/)")
    parser.add_argument("--only", help=f"comma-separated groups ({', '.join(g.name for g in GROUPS)})")
    parser.add_argument("--stablecoin", default="auto", help="auto (MockUSDC if present), mockusdc or benchusd")
    parser.add_argument("--out", type=Path, help="results JSON path")
    parser.add_argument("--markdown", type=Path, help="Markdown report path")
    parser.add_argument("--no-markdown", action="store_true", help="write the JSON only")
    parser.add_argument("--require-all", action="store_true", help="exit 1 when any stable figure is missing")
    args = parser.parse_args(argv)
    only = [part.strip() for part in args.only.split(",") if part.strip()] if args.only else None
    try:
        outcome = run(
            quick=args.quick, only=only, stablecoin=args.stablecoin, out=args.out, markdown=args.markdown,
            write_markdown=not args.no_markdown,
        )  # fmt: skip
    except ValueError as exc:
        _log(f"error: {exc}")
        return 2
    except BenchError as exc:
        _log(f"bench broke: {exc}")
        return 1
    results = outcome.results
    for name, value in results["figures"].items():
        if value is not None:
            print(f"{name:32} {value:>14,}" if isinstance(value, int) else f"{name:32} {value:>14,.1f}")
    for target in results["targets"]:
        print(f"target {target['status']:12} {target['rule']}: {target['gap']}")
    _log(f"wrote {outcome.results_path}" + (f" and {outcome.markdown_path}" if outcome.markdown_path else ""))
    if outcome.broken:
        _log(f"bench broke in: {', '.join(outcome.broken)}")
        return 1
    if args.require_all and results["missing"]:
        _log(f"missing figures: {', '.join(results['missing'])}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
