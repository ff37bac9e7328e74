"""The public surface of ``pyclaims``: what integrators import. A change here is an API change: make it on purpose."""

from __future__ import annotations

import importlib
import inspect

import pyclaims
from pyclaims.errors import PyclaimsError

EXPECTED = {
    # identity, claims, market and distributions through the typed client
    "Client", "sign_attestation", "sign_validation", "verify_deployment",
    "Deployment", "DeploymentError", "deploy_suite", "deployment_path", "role_id", "ROLE_NAMES",
    # claims validation and minting
    "read_schedule", "parse_csv", "parse_json", "render_csv", "render_json", "ScheduleRow", "RowError",
    "ValidationReport", "ScheduleError", "ScheduleRejectedError", "mint_schedule", "MintReport", "MintingError",
    # offers
    "Order", "SignedOrder", "OfferError", "ask", "bid_for_claim", "class_bid", "sign_order", "verify_order",
    "order_hash", "order_digest", "payment_for", "PRICE_SCALE", "Domain", "LocalSigner", "Signer",
    "Eip712Error", "SignatureError", "market_domain", "token_domain",
    # settlement
    "fill", "fill_many", "place_escrowed_bid", "withdraw_bid", "cancel", "bump_counter", "FillsReport",
    # distributions
    "plan_round", "declare", "pay_round", "resolve", "reconcile", "RoundPlan", "PayoutReport",
    "ReconciliationReport", "ReconciliationError",
    # valuation
    "value_holding", "compare_offer", "ExpectedRound", "HoldingInputs", "HoldingValue", "OfferComparison",
    "RateBasis", "ValuationError",
    # read models and the operations layer
    "ChainView", "OfferBook", "Indexer", "IndexerError", "ReorgTooDeepError", "TxSender", "NonceManager",
    "FeePolicy", "Fees", "Journal", "Op", "OpResult", "OpStatus", "RunReport", "SentTx", "TxError",
    "WrongChainError", "WrongCodeError", "TransactionFailedError", "StuckTransactionError", "check_chain",
    # domain values and units
    "Attestation", "Claim", "ClassTotals", "Round", "SettlementRecord", "PayoutRecord", "MintRequest", "Permit",
    "OrderState", "Deposit", "BaseUnits", "Ppm", "Bps", "ClaimStatus", "Side", "ClaimClass", "ClassScheme",
    "ClassSchemeError", "AmountFormatError", "usd_to_base_units", "base_units_to_usd", "format_usd", "claim_ref",
    "BASE_UNITS_PER_USD", "RATE_SCALE", "DEFAULT_CONVENIENCE_THRESHOLD",
    # errors
    "PyclaimsError", "ContractError", "ClaimTokenError", "ClaimMarketError", "ClaimDistributorError",
    "decode_revert",
    "__version__",
}  # fmt: skip


def test_all_is_exactly_the_public_surface() -> None:
    assert set(pyclaims.__all__) == EXPECTED
    assert len(pyclaims.__all__) == len(set(pyclaims.__all__)), "no duplicates in __all__"
    for name in pyclaims.__all__:
        assert hasattr(pyclaims, name), name


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from pyclaims import *", namespace)  # noqa: S102 - the behaviour under test
    assert {n for n in namespace if n != "__builtins__"} == set(pyclaims.__all__)


def test_every_exception_exported_is_under_the_one_root() -> None:
    exported = [getattr(pyclaims, n) for n in pyclaims.__all__]
    exceptions = [obj for obj in exported if inspect.isclass(obj) and issubclass(obj, BaseException)]
    assert len(exceptions) >= 15
    for exc in exceptions:
        assert issubclass(exc, PyclaimsError), f"{exc.__name__} is not a PyclaimsError"


def test_every_module_declares_all() -> None:
    for module in ("client", "deployments", "distributions", "eip712", "errors", "indexer", "minting", "models",
                   "offers", "readmodels", "schedule", "settlement", "tx", "types", "valuation"):  # fmt: skip
        mod = importlib.import_module(f"pyclaims.{module}")
        assert isinstance(getattr(mod, "__all__", None), list | tuple), f"pyclaims.{module} has no __all__"


def test_the_sdk_does_not_import_ape() -> None:
    # In a fresh interpreter: this test process has Ape loaded already (its pytest plugin).
    imported = _imported_by_pyclaims()
    assert "web3" in imported and "eth_account" in imported
    offenders = sorted(m for m in imported if m == "ape" or m.startswith(("ape.", "ape_")))
    assert not offenders, f"pyclaims must depend on web3.py and eth-account only, imported: {offenders[:5]}"


def _imported_by_pyclaims() -> set[str]:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "import sys, pyclaims, pyclaims.cli; print('\\n'.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(out.split())
