"""The stable figure names of ``bench/results.json`` (issue 5), who produces each, and what each means.

A name here is a contract with readers of ``results.json``: never rename one; add new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["FIGURES", "GROUPS", "KNOWN_ANCHORS", "STABLE_NAMES", "FigureSpec", "GroupSpec"]


@dataclass(frozen=True)
class FigureSpec:
    """One figure: its unit (``"gas"`` or ``"per s"``), the group that measures it, and what it measures."""

    name: str
    unit: str
    group: str
    description: str
    stable: bool = True


@dataclass(frozen=True)
class GroupSpec:
    """A measurement group: the module whose ``measure(ctx)`` produces its figures, and who owns it."""

    name: str
    module: str
    owner: str
    description: str


GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("anchors", "bench.anchors", "bench", "Seaport, the floor, ERC-3643 T-REX, MerkleDistributor"),
    GroupSpec("pyclaims", "bench.pyclaims_gas", "lead", "the pyclaims contracts (gas)"),
    GroupSpec("sign", "bench.bench_sign", "SDK", "offers signed per second"),
    GroupSpec("tx", "bench.bench_tx", "SDK", "confirmed transactions per second"),
)
"""The groups ``bench/run.py`` runs, in order, on the same node."""


def _f(name: str, unit: str, group: str, description: str, *, stable: bool = True) -> FigureSpec:
    return FigureSpec(name=name, unit=unit, group=group, description=description, stable=stable)


_ALL = (
    # pyclaims gas (lead: bench/pyclaims_gas.py)
    _f("settle_gas", "gas", "pyclaims", "fill of an ask or a bid, steady state (seller holds USDC, buyer a claim)"),
    _f("settle_gas_fresh", "gas", "pyclaims", "fill, fresh wallets (neither side held anything)"),
    _f("escrow_fill_gas", "gas", "pyclaims", "fill of an escrowed (deposited) bid"),
    _f("batch_settle_gas_per_offer", "gas", "pyclaims", "a batch of 50 fills, per fill"),
    _f("claim_transfer_gas", "gas", "pyclaims", "a claim transfer between eligible wallets"),
    _f("attest_gas", "gas", "pyclaims", "an attestation written by the verifier"),
    _f("attest_signed_gas", "gas", "pyclaims", "an attestation carried with the verifier's signature"),
    _f("mint_gas", "gas", "pyclaims", "minting one claim"),
    _f("declare_round_gas_10", "gas", "pyclaims", "declaring a round, 10 claims in the class"),
    _f("declare_round_gas_1000", "gas", "pyclaims", "declaring a round, 1,000 claims in the class"),
    _f("declare_round_gas_100000", "gas", "pyclaims", "declaring a round, 100,000 claims in the class"),
    _f("payout_gas", "gas", "pyclaims", "one payout"),
    _f("batch_payout_gas_per_claim", "gas", "pyclaims", "a batch of 50 payouts, per payout"),
    # anchors (bench/anchors.py)
    _f("seaport_fulfill_basic_gas", "gas", "anchors",
       "Seaport 1.6 fulfillBasicOrder, ERC-20 for ERC-721, no conduit, no fees, steady state"),
    _f("floor_signed_swap_gas", "gas", "anchors",
       "the floor: ecrecover + mark used + ERC-721 and ERC-20 transfers, steady state"),
    _f("trex_transfer_gas", "gas", "anchors", "ERC-3643 T-REX 4.1.6 transfer, one claim topic, one trusted issuer"),
    _f("trex_onboarding_gas", "gas", "anchors", "T-REX investor onboarding: identity + registration + claim"),
    _f("merkle_claim_gas_100k", "gas", "anchors",
       "MerkleDistributor claim, 100,000 leaves, recipient holds USDC, bitmap word already used"),
    # Python throughput (bench/bench_sign.py, bench/bench_tx.py)
    _f("sign_per_s", "per s", "sign", "offers signed per second by the SDK"),
    _f("eth_account_sign_per_s", "per s", "sign", "the same offers signed by eth-account's sign_typed_data"),
    _f("mint_tx_per_s", "per s", "tx", "confirmed mint transactions per second through the SDK"),
    _f("settle_tx_per_s", "per s", "tx", "confirmed fill transactions per second through the SDK"),
    _f("web3_default_tx_per_s", "per s", "tx", "confirmed transactions per second through plain web3.py defaults"),
    # anchor breakdowns (not in issue 5's list; names kept stable all the same)
    _f("trex_onboarding_identity_gas", "gas", "anchors", "onboarding step 1: deploy the ONCHAINID identity proxy",
       stable=False),
    _f("trex_onboarding_register_gas", "gas", "anchors", "onboarding step 2: IdentityRegistry.registerIdentity",
       stable=False),
    _f("trex_onboarding_claim_gas", "gas", "anchors", "onboarding step 3: Identity.addClaim (issuer-signed)",
       stable=False),
    _f("merkle_claim_gas_100k_fresh", "gas", "anchors",
       "MerkleDistributor claim, first of its bitmap word, to a recipient holding nothing", stable=False),
    _f("settle_bid_gas", "gas", "pyclaims", "fill of a (specific, unescrowed) bid by its seller, steady state",
       stable=False),
    _f("payout_gas_fresh", "gas", "pyclaims",
       "first payout of its 256-claim settled-bitmap word, to a holder with no stablecoin yet", stable=False),
    _f("transfer_tx_per_s", "per s", "tx", "plain transfers through the SDK sender, pipelined from one account",
       stable=False),
    _f("transfer_tx_per_s_run_ops", "per s", "tx", "the same through run_ops with the fsync'd journal",
       stable=False),
    _f("transfer_tx_per_s_sync", "per s", "tx", "one at a time, receipt in the eth_sendRawTransactionSync reply",
       stable=False),
    _f("transfer_tx_per_s_poll", "per s", "tx", "one at a time, polling for the receipt", stable=False),
    _f("transfer_tx_per_s_sync_threads", "per s", "tx", "8 threads, each one at a time with the sync reply",
       stable=False),
    _f("merkle_leaves", "leaves", "anchors", "leaves in the Merkle tree measured (1,000 in quick mode)", stable=False),
    _f("merkle_proof_length", "hashes", "anchors", "proof length of the measured Merkle claims", stable=False),
)  # fmt: skip

FIGURES: Mapping[str, FigureSpec] = {spec.name: spec for spec in _ALL}
"""Every known figure by name."""

STABLE_NAMES: tuple[str, ...] = tuple(spec.name for spec in _ALL if spec.stable)
"""The names issue 5 fixes; ``results.json`` always carries each (``null`` when not measured)."""

KNOWN_ANCHORS: Mapping[str, str] = {
    "seaport_fulfill_basic_gas": "110,651",
    "floor_signed_swap_gas": "100,770",
    "trex_transfer_gas": "210,102",
    "trex_onboarding_gas": "757,548",
    "merkle_claim_gas_100k": "54,082-94,014",
}
"""The anchor figures quoted in issue 3 (measured earlier on this kind of machine), shown beside ours."""
