"""Every row of the "Contracts" table of the threat model has at least one test named after it.

The rows (the shared threats page, "Contracts") and the test-name prefix that stands for each; a row whose tests
disappear, or a renamed test, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROWS = {
    "cross-chain / cross-contract replay": "test_threat_cross_chain_replay_",
    "double fill": "test_threat_double_fill_",
    "cancellation": "test_threat_cancellation_",
    "front-running / griefing": "test_threat_front_running_",
    "reentrancy": "test_threat_reentrancy_",
    "fee-on-transfer / short delivery": "test_threat_fee_on_transfer_",
    "stablecoin blacklist / pause": "test_threat_stablecoin_blacklist_pause_",
    "approval race": "test_threat_approval_race_",
    "rounding in pro-rata payouts": "test_threat_rounding_",
    "double payout": "test_threat_double_payout_",
    "transfer between record date and payment": "test_threat_record_date_transfer_",
    "disputed release by the wrong role": "test_threat_disputed_release_wrong_role_",
    "pause": "test_threat_pause_",
    "admin keys": "test_threat_admin_keys_",
    "unbounded loops": "test_threat_unbounded_loops_",
    "malleable signatures": "test_threat_malleable_signatures_",
    "contract wallets (ERC-1271)": "test_threat_contract_wallets_erc1271_",
    "permit (EIP-2612)": "test_threat_permit_",
    "identity and jurisdiction": "test_threat_identity_jurisdiction_",
}


def _test_names() -> list[str]:
    here = Path(__file__).parent
    names: list[str] = []
    for path in sorted(here.glob("test_threats_*.py")):
        names += re.findall(r"^def (test_threat_\w+)\(", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return names


def test_every_contracts_threat_row_has_a_named_test() -> None:
    names = _test_names()
    missing = [row for row, prefix in ROWS.items() if not any(n.startswith(prefix) for n in names)]
    assert not missing, f"threat rows without a test: {missing}"


def test_every_threat_test_names_a_row() -> None:
    stray = [n for n in _test_names() if not any(n.startswith(prefix) for prefix in ROWS.values())]
    assert not stray, f"tests named test_threat_* that cover no row: {stray}"
