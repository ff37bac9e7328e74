"""The demo's PNG chart, drawn from the JSON report alone (so a saved ``report.json`` can be re-drawn).

Two panels:

1. *What buyers paid*: every settlement as a dot, price as a share of the claim's allowed amount against the
   allowed amount (log scale), coloured by class, shaped by how it settled; a short grey tick under each dot is
   the seller's value of holding, so the gap is the premium (or discount) the seller accepted.
2. *Where each round's money went*: per distribution round, the funding split into paid to holders of record,
   released after a dispute was resolved, returned to the estate, still withheld, and rounding dust, with the
   amounts written on the bars.

A footer states the headline reconciliation (money in = out + withheld + escrowed) and the run's figures.
matplotlib runs on the non-interactive Agg backend; ``Decimal`` appears only in labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

__all__ = ["render_chart"]

_CLASS_COLORS: Final = {"convenience": "#2a9d8f", "general": "#6a4c93"}
_KIND_MARKERS: Final = {
    "ask": ("o", "ask filled by the buyer"),
    "batch": ("s", "asks filled in one batch"),
    "escrowed_bid": ("D", "escrowed bid filled by the seller"),
    "class_bid": ("^", "class bid filled by the seller"),
    "bid": ("v", "bid filled by the seller"),
}
_SEGMENTS: Final = (
    ("paid", "paid to holders of record", "#2a9d8f"),
    ("released", "released after resolution", "#8ecae6"),
    ("returned", "returned to the estate", "#adb5bd"),
    ("withheld", "still withheld (disputed)", "#f4a261"),
    ("dust", "rounding dust", "#264653"),
)


def _usd(base_units: int) -> str:
    """Compact dollars for labels: $1.23M, $45.6K, $789."""
    value = Decimal(base_units) / Decimal(1_000_000)
    for scale, suffix in ((Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "K")):
        if abs(value) >= scale:
            return f"${value / scale:.3g}{suffix}".replace(".0" + suffix, suffix)
    return f"${value:.0f}" if abs(value) >= 10 else f"${value:.2f}"


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


def render_chart(report: Mapping[str, Any], path: str | Path) -> Path:
    """Draw the demo report as a PNG at ``path`` (parents created); returns the path."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    trades: Sequence[Mapping[str, Any]] = report.get("trades", [])
    rounds: Sequence[Mapping[str, Any]] = report.get("rounds", [])

    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.titlesize": 12,
            "axes.titlelocation": "left",
            "text.parse_math": False,
        }
    )
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(15, 7.4), gridspec_kw={"width_ratios": [1.3, 1]})
    fig.subplots_adjust(left=0.06, right=0.975, top=0.84, bottom=0.27, wspace=0.3)

    counts = report.get("counts", {})
    fig.suptitle(
        "pyclaims demo: claims minted, traded at zero fee and paid out, reconciled to the base unit",
        x=0.06,
        ha="left",
        fontsize=15,
        fontweight="bold",
    )
    fig.text(
        0.06,
        0.905,
        f"{counts.get('minted', 0):,} claims minted from a {counts.get('schedule_rows', 0):,}-row schedule "
        f"({counts.get('rejected_rows', 0)} bad rows rejected), {counts.get('wallets', 0)} wallets onboarded, "
        f"{len(trades)} settlements, {len(rounds)} distribution rounds",
        ha="left",
        fontsize=10.5,
        color="#444444",
    )

    # ---------------------------------------------------------------- panel 1: prices
    ax1.set_title("What buyers paid, per dollar of allowed claim")
    kinds_seen: list[str] = []
    classes_seen: list[str] = []
    for trade in trades:
        allowed = _int(trade["allowed"])
        if allowed <= 0:
            continue
        x = allowed / 1_000_000
        y = 100 * _int(trade["price"]) / allowed
        hold = trade.get("hold_value")
        cls = str(trade.get("class", "general"))
        kind = str(trade.get("kind", "ask"))
        color = _CLASS_COLORS.get(cls, "#e76f51")
        marker = _KIND_MARKERS.get(kind, ("o", kind))[0]
        if hold is not None:
            h = 100 * _int(hold) / allowed
            ax1.plot([x, x], [h, y], color="#bbbbbb", linewidth=0.8, zorder=1)
            ax1.plot([x / 1.06, x * 1.06], [h, h], color="#777777", linewidth=1.3, zorder=2)
        ax1.scatter([x], [y], s=46, marker=marker, color=color, edgecolor="white", linewidth=0.7, zorder=3)
        if kind not in kinds_seen:
            kinds_seen.append(kind)
        if cls not in classes_seen:
            classes_seen.append(cls)
    threshold = report.get("validation", {}).get("convenience_threshold")
    if threshold:
        t = _int(threshold) / 1_000_000
        ax1.axvline(t, color="#999999", linestyle=(0, (4, 3)), linewidth=1, zorder=0)
        ax1.annotate(
            f"class threshold {_usd(_int(threshold))}",
            xy=(t, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -12),
            textcoords="offset points",
            fontsize=8.5,
            color="#777777",
        )
    ax1.set_xscale("log")
    ax1.xaxis.set_major_locator(LogLocator(base=10))
    ax1.xaxis.set_minor_formatter(NullFormatter())
    ax1.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _usd(int(v * 1_000_000))))
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax1.set_xlabel("allowed amount of the claim (log scale)")
    ax1.set_ylabel("price paid, % of allowed amount")
    ax1.grid(True, axis="y", color="#eeeeee")
    if trades:
        ys = [100 * _int(t["price"]) / max(1, _int(t["allowed"])) for t in trades]
        hs = [100 * _int(t["hold_value"]) / max(1, _int(t["allowed"])) for t in trades if t.get("hold_value")]
        low = min([*ys, *hs])
        high = max([*ys, *hs])
        pad = max(2.0, (high - low) * 0.12)
        ax1.set_ylim(max(0.0, low - pad), high + pad)
    handles: list[Any] = [
        Patch(facecolor=_CLASS_COLORS.get(c, "#e76f51"), label=f"{c} class") for c in sorted(classes_seen)
    ]
    handles += [
        Line2D(
            [],
            [],
            marker=_KIND_MARKERS.get(k, ("o", k))[0],
            linestyle="",
            color="#555555",
            markersize=7,
            label=_KIND_MARKERS.get(k, ("o", k))[1],
        )
        for k in kinds_seen
    ]
    handles.append(Line2D([], [], color="#777777", linewidth=1.3, label="seller's value of holding"))
    ax1.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8.5, frameon=False)

    # ---------------------------------------------------------------- panel 2: rounds
    ax2.set_title("Where each distribution round's money went")
    labels: list[str] = []
    for i, rnd in enumerate(rounds):
        funded = _int(rnd.get("funded"))
        rate = Decimal(_int(rnd.get("rate_delta_ppm"))) / Decimal(10_000)
        labels.append(
            f"round {rnd.get('round_id', i + 1)}: {rnd.get('class', '?')}\n+{rate:g}% of allowed\nfunded {_usd(funded)}"
        )
        left = 0.0
        for key, _label, color in _SEGMENTS:
            value = _int(rnd.get(key))
            if value <= 0 or funded <= 0:
                continue
            width = 100 * value / funded
            ax2.barh(i, width, left=left, color=color, height=0.5, edgecolor="white", linewidth=1.2)
            if width >= 9:
                ax2.text(
                    left + width / 2,
                    i,
                    f"{_usd(value)}\n{width:.1f}%",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if key in ("paid", "dust") else "#222222",
                    fontweight="bold",
                )
            left += width
        small = [
            f"{label.split(' (')[0]} {_usd(_int(rnd.get(key)))}"
            for key, label, _c in _SEGMENTS
            if key != "paid" and _int(rnd.get(key)) > 0 and (100 * _int(rnd.get(key)) / max(1, funded)) < 9
        ]
        if small:
            ax2.text(0, i + 0.3, "; ".join(small), ha="left", va="top", fontsize=8.5, color="#555555")
    ax2.set_yticks(range(len(rounds)), labels)
    ax2.set_ylim(len(rounds) - 0.3, -0.5)
    ax2.set_xlim(0, 100)
    ax2.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    ax2.set_xlabel("share of the round's funding")
    ax2.spines["left"].set_visible(False)
    ax2.tick_params(axis="y", length=0)
    ax2.legend(
        handles=[Patch(facecolor=c, label=label) for _k, label, c in _SEGMENTS],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=2,
        fontsize=8.5,
        frameon=False,
    )

    # ---------------------------------------------------------------- footer: the reconciliation
    money = report.get("money", {})
    checks: Sequence[Mapping[str, Any]] = report.get("reconciliation", [])
    all_hold = bool(checks) and all(bool(c.get("holds")) for c in checks)
    verdict = "holds to the base unit" if all_hold else "DOES NOT HOLD"
    fig.text(
        0.06,
        0.075,
        f"Money in {_usd(_int(money.get('in')))} = out {_usd(_int(money.get('out')))} + withheld "
        f"{_usd(_int(money.get('withheld')))} + escrowed {_usd(_int(money.get('escrowed')))}: {verdict} "
        f"({sum(1 for c in checks if c.get('holds'))}/{len(checks)} reconciliation checks pass)",
        ha="left",
        fontsize=11,
        fontweight="bold",
        color="#1b7340" if all_hold else "#b00020",
    )
    timing = report.get("timing", {})
    gas = report.get("gas", {})
    fill_gas = gas.get("fill_ask", {}).get("median")
    payout_gas = gas.get("payout_batch", {}).get("per_item_mean")
    bits = [
        f"wall time {float(timing.get('total_s', 0)):.1f} s",
        f"{_int(report.get('chain', {}).get('transactions')):,} transactions",
    ]
    if fill_gas:
        bits.append(f"median gas: fill an ask {int(fill_gas):,}")
    if payout_gas:
        bits.append(f"a payout in a batch {int(payout_gas):,} per claim")
    bits.append("fees charged to either side: $0")
    fig.text(0.06, 0.035, ", ".join(bits), ha="left", fontsize=9.5, color="#555555")

    fig.savefig(out, dpi=110, facecolor="white")
    plt.close(fig)
    return out
