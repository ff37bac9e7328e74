"""The anchors: what pyclaims is measured against, installed from npm and deployed on the bench's own node.

- **Seaport 1.6** ``fulfillBasicOrder``, ERC-20 for ERC-721, no conduit, no fees, no zone
  (``seaport_fulfill_basic_gas``).
- **The floor** (``bench/contracts/FloorSwap.sol``): one ecrecover, one "used" mark, the two transfers
  (``floor_signed_swap_gas``).
- **ERC-3643 T-REX 4.1.6** with one claim topic and one trusted issuer: a transfer between two onboarded investors
  (``trex_transfer_gas``) and investor onboarding = deploy an ONCHAINID identity proxy + register it + add the
  issuer-signed claim (``trex_onboarding_gas``, the sum of the three).
- **Uniswap MerkleDistributor** ``claim`` in a 100,000-leaf tree (``merkle_claim_gas_100k``).

Gas is receipt ``gasUsed``. Swaps are measured in *steady state* (toolchain.md): the seller already holds the
stablecoin and the buyer already holds an item of the collection, so no balance goes from zero to non-zero; each
swap anchor first fills one warm-up order and then measures a second, identical-shaped one. Approvals are the
marketplace default: ``setApprovalForAll`` for the ERC-721 and an unlimited ERC-20 allowance (no allowance write).

Run alone: ``python -m bench.anchors [--quick] [--stablecoin auto|mockusdc|benchusd]`` prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from web3.contract import Contract

from bench.anvil import BENCH_GENESIS_TIMESTAMP, AnvilNode, dev_account, dev_accounts
from bench.chain import Chain
from bench.context import BenchContext, Stablecoin, resolve_stablecoin
from bench.errors import BenchError
from bench.merkle import BalanceTree, Entitlement, bench_entitlements
from bench.seaport import SeaportListing, compile_seaport, order_components_tuple
from bench.solidity import PROJECT_ROOT, SUITE_SETTINGS, Artifact, compile_contracts

__all__ = [
    "ANCHOR_KEYS",
    "MERKLE_LEAVES_FULL",
    "MERKLE_LEAVES_QUICK",
    "PRICE",
    "hardhat_artifact",
    "main",
    "measure",
    "measure_anchors",
    "measure_floor",
    "measure_merkle",
    "measure_seaport",
    "measure_trex",
    "solc_version_of",
]

ANCHOR_KEYS = (
    "seaport_fulfill_basic_gas",
    "floor_signed_swap_gas",
    "trex_transfer_gas",
    "trex_onboarding_gas",
    "merkle_claim_gas_100k",
)
"""The anchor figures of ``bench/results.json`` (stable names, issue 5)."""

PRICE = 1_000 * 10**6
"""The price of every swap anchor: 1,000 USDC in base units."""

MERKLE_LEAVES_FULL = 100_000
MERKLE_LEAVES_QUICK = 1_000

_MAX_UINT = 2**256 - 1
_NODE_MODULES = PROJECT_ROOT / "node_modules"
_TREX = _NODE_MODULES / "@tokenysolutions" / "t-rex" / "artifacts"
_ONCHAINID = _NODE_MODULES / "@onchain-id" / "solidity" / "artifacts"
_MERKLE = _NODE_MODULES / "@uniswap" / "merkle-distributor" / "build"
_BENCH_SOURCES = ["bench/contracts/FloorSwap.sol", "bench/contracts/BenchNFT.sol"]

# Dev-account roles (indexes into the funded accounts); signing-only keys come from higher HD indexes.
_DEPLOYER, _SELLER, _BUYER, _AGENT, _ISSUER, _ALICE, _BOB, _CHARLIE = range(8)
_CLAIM_SIGNING_KEY_INDEX = 20


# ---------------------------------------------------------------- artifacts


def hardhat_artifact(path: Path) -> Artifact:
    """An artifact from a Hardhat/Waffle build JSON shipped in an npm package (no library links allowed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(f"artifact {path}: cannot read ({exc}); run npm ci") from exc
    if data.get("linkReferences"):
        raise BenchError(f"artifact {path}: needs library linking, which the bench does not do")
    code = data.get("bytecode")
    if isinstance(code, dict):
        code = code.get("object")
    if not isinstance(code, str) or not code.removeprefix("0x"):
        raise BenchError(f"artifact {path}: no creation bytecode")
    return Artifact(
        source=str(path.relative_to(PROJECT_ROOT)),
        name=str(data.get("contractName", path.stem)),
        abi=tuple(data["abi"]),
        bytecode=bytes.fromhex(code.removeprefix("0x")),
    )


def _trex(relative: str) -> Artifact:
    return hardhat_artifact(_TREX / relative)


def solc_version_of(bytecode: bytes) -> str | None:
    """The compiler version recorded in the bytecode's CBOR metadata (``"0.8.17"``), or None if absent."""
    if len(bytecode) < 2:
        return None
    length = int.from_bytes(bytecode[-2:], "big")
    cbor = bytecode[-2 - length : -2]
    marker = cbor.find(b"dsolcC")
    if marker < 0 or marker + 9 > len(cbor):
        return None
    major, minor, patch = cbor[marker + 6 : marker + 9]
    return f"{major}.{minor}.{patch}"


def _bench_artifacts() -> tuple[Artifact, Artifact]:
    result = compile_contracts(_BENCH_SOURCES, SUITE_SETTINGS)
    return result.get("FloorSwap"), result.get("BenchNFT")


# ---------------------------------------------------------------- shared set-up


@dataclass(frozen=True)
class _Market:
    """A stablecoin and an NFT collection with a seller and a buyer in steady state for one spender."""

    usd: Contract
    nft: Contract
    seller: LocalAccount
    buyer: LocalAccount


def _steady_state(
    chain: Chain,
    accounts: Sequence[LocalAccount],
    stablecoin: Stablecoin,
    nft_artifact: Artifact,
    spender: str,
    item_ids: Sequence[int],
    name: str,
) -> _Market:
    """Fresh tokens; the seller holds ``item_ids`` and some stablecoin, the buyer holds one NFT and enough
    stablecoin for every item; both approve ``spender`` the marketplace way."""
    deployer, seller, buyer = accounts[_DEPLOYER], accounts[_SELLER], accounts[_BUYER]
    usd = stablecoin.deploy(chain, deployer)
    nft = chain.deploy(deployer, nft_artifact, label=f"{name}: deploy BenchNFT").contract
    for token_id in item_ids:
        chain.transact(deployer, nft.functions.mint(seller.address, token_id), label=f"{name}: mint item {token_id}")
    held_id = max(item_ids) + 1_000
    chain.transact(deployer, nft.functions.mint(buyer.address, held_id), label=f"{name}: buyer already holds an NFT")
    chain.transact(deployer, usd.functions.mint(seller.address, PRICE), label=f"{name}: seller already holds USDC")
    chain.transact(
        deployer, usd.functions.mint(buyer.address, PRICE * (len(item_ids) + 1)), label=f"{name}: fund buyer"
    )
    chain.transact(seller, nft.functions.setApprovalForAll(spender, True), label=f"{name}: seller approves")
    chain.transact(buyer, usd.functions.approve(spender, _MAX_UINT), label=f"{name}: buyer approves")
    return _Market(usd=usd, nft=nft, seller=seller, buyer=buyer)


def _salt(tag: str, n: int) -> int:
    """A full-width deterministic salt (real order salts are random 256-bit numbers, so calldata is realistic)."""
    return int.from_bytes(keccak(f"{tag}:{n}".encode()), "big")


def _check_swap(market: _Market, token_id: int, seller_before: int, name: str) -> None:
    owner = market.nft.functions.ownerOf(token_id).call()
    if owner != market.buyer.address:
        raise BenchError(f"{name}: item {token_id} went to {owner}, not to the buyer")
    paid = market.usd.functions.balanceOf(market.seller.address).call() - seller_before
    if paid != PRICE:
        raise BenchError(f"{name}: the seller received {paid}, not the price {PRICE}")


# ---------------------------------------------------------------- Seaport


def measure_seaport(chain: Chain, accounts: Sequence[LocalAccount], stablecoin: Stablecoin) -> dict[str, int]:
    """Seaport 1.6 ``fulfillBasicOrder`` (ERC20_TO_ERC721_FULL_OPEN, no conduit, fees or zone), steady state."""
    compiled = compile_seaport()
    _, nft_artifact = _bench_artifacts()
    deployer = accounts[_DEPLOYER]
    controller = chain.deploy(deployer, compiled.get("ConduitController"), label="seaport: deploy ConduitController")
    seaport = chain.deploy(
        deployer, compiled.get("Seaport"), controller.address, label="seaport: deploy Seaport"
    ).contract
    version, _, _ = seaport.functions.information().call()
    if version != "1.6":
        raise BenchError(f"seaport: information() reports version {version!r}, expected 1.6")
    item_ids = (1, 2)
    market = _steady_state(chain, accounts, stablecoin, nft_artifact, seaport.address, item_ids, "seaport")
    genesis = chain.w3.eth.get_block(0)["timestamp"]  # fixed by the run: deterministic calldata
    gas = 0
    for n, token_id in enumerate(item_ids):  # the first fill warms up, the second is measured
        listing = SeaportListing(
            offerer=market.seller.address, nft=market.nft.address, token_id=token_id, currency=market.usd.address,
            price=PRICE, start_time=genesis, end_time=genesis + 365 * 86_400, salt=_salt("seaport", n),
            counter=seaport.functions.getCounter(market.seller.address).call(),
        )  # fmt: skip
        expected = seaport.functions.getOrderHash(order_components_tuple(listing.order_components())).call()
        if bytes(expected) != listing.order_hash(chain_id=chain.chain_id, seaport=seaport.address):
            raise BenchError("seaport: the order hash built from seaport-core's type strings differs from getOrderHash")
        signature = listing.sign(market.seller, chain_id=chain.chain_id, seaport=seaport.address)
        seller_before = market.usd.functions.balanceOf(market.seller.address).call()
        receipt = chain.transact(
            market.buyer,
            seaport.functions.fulfillBasicOrder(listing.basic_order_parameters(signature)),
            label=f"seaport: fulfillBasicOrder #{n}",
        )
        _check_swap(market, token_id, seller_before, "seaport")
        gas = receipt["gasUsed"]
    return {"seaport_fulfill_basic_gas": gas}


# ---------------------------------------------------------------- floor


def _floor_typed_data(order: Mapping[str, Any], chain_id: int, floor: ChecksumAddress) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Order": [
                {"name": "maker", "type": "address"},
                {"name": "nft", "type": "address"},
                {"name": "tokenId", "type": "uint256"},
                {"name": "currency", "type": "address"},
                {"name": "price", "type": "uint256"},
                {"name": "salt", "type": "uint256"},
            ],
        },
        "primaryType": "Order",
        "domain": {"name": "FloorSwap", "version": "1", "chainId": chain_id, "verifyingContract": floor},
        "message": dict(order),
    }


def measure_floor(chain: Chain, accounts: Sequence[LocalAccount], stablecoin: Stablecoin) -> dict[str, int]:
    """``FloorSwap.fill``: ecrecover, mark used, move the ERC-721 and the ERC-20; steady state."""
    floor_artifact, nft_artifact = _bench_artifacts()
    floor = chain.deploy(accounts[_DEPLOYER], floor_artifact, label="floor: deploy FloorSwap").contract
    item_ids = (1, 2)
    market = _steady_state(chain, accounts, stablecoin, nft_artifact, floor.address, item_ids, "floor")
    gas = 0
    for n, token_id in enumerate(item_ids):
        order = {
            "maker": market.seller.address, "nft": market.nft.address, "tokenId": token_id,
            "currency": market.usd.address, "price": PRICE, "salt": _salt("floor", n),
        }  # fmt: skip
        signable = encode_typed_data(full_message=_floor_typed_data(order, chain.chain_id, floor.address))
        signed = market.seller.sign_message(signable)
        seller_before = market.usd.functions.balanceOf(market.seller.address).call()
        receipt = chain.transact(
            market.buyer,
            floor.functions.fill(
                tuple(order.values()), signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
            ),
            label=f"floor: fill #{n}",
        )
        _check_swap(market, token_id, seller_before, "floor")
        if not floor.functions.used(keccak(b"\x19\x01" + signable.header + signable.body)).call():
            raise BenchError("floor: the order was not marked used")
        gas = receipt["gasUsed"]
    return {"floor_signed_swap_gas": gas}


# ---------------------------------------------------------------- ERC-3643 T-REX


@dataclass(frozen=True)
class _Trex:
    token: Contract
    identity_registry: Contract
    identity_authority: ChecksumAddress
    claim_issuer: Contract
    topic: int


def _deploy_trex(chain: Chain, accounts: Sequence[LocalAccount], signing_key: LocalAccount) -> _Trex:
    """The T-REX suite the way T-REX's own test fixture builds it: implementations behind a
    TREXImplementationAuthority and proxies; ModularCompliance (no modules); one topic; one trusted issuer."""
    deployer, agent, issuer = accounts[_DEPLOYER], accounts[_AGENT], accounts[_ISSUER]

    def impl(relative: str) -> ChecksumAddress:
        artifact = _trex(relative)
        return chain.deploy(deployer, artifact, label=f"trex: deploy {artifact.name}").address

    token_impl = impl("contracts/token/Token.sol/Token.json")
    ctr_impl = impl("contracts/registry/implementation/ClaimTopicsRegistry.sol/ClaimTopicsRegistry.json")
    ir_impl = impl("contracts/registry/implementation/IdentityRegistry.sol/IdentityRegistry.json")
    irs_impl = impl("contracts/registry/implementation/IdentityRegistryStorage.sol/IdentityRegistryStorage.json")
    tir_impl = impl("contracts/registry/implementation/TrustedIssuersRegistry.sol/TrustedIssuersRegistry.json")
    mc_impl = impl("contracts/compliance/modular/ModularCompliance.sol/ModularCompliance.json")
    zero = "0x" + "00" * 20
    authority = chain.deploy(
        deployer, _trex("contracts/proxy/authority/TREXImplementationAuthority.sol/TREXImplementationAuthority.json"),
        True, zero, zero, label="trex: deploy TREXImplementationAuthority",
    ).contract  # fmt: skip
    chain.transact(
        deployer,
        authority.functions.addAndUseTREXVersion(
            (4, 0, 0), (token_impl, ctr_impl, ir_impl, irs_impl, tir_impl, mc_impl)
        ),
        label="trex: addAndUseTREXVersion",
    )

    def proxy(name: str, impl_relative: str, *args: Any) -> Contract:
        deployed = chain.deploy(
            deployer, _trex(f"contracts/proxy/{name}.sol/{name}.json"), authority.address, *args,
            label=f"trex: deploy {name}",
        )  # fmt: skip
        return chain.at(deployed.address, _trex(impl_relative).abi)

    ctr = proxy(
        "ClaimTopicsRegistryProxy", "contracts/registry/implementation/ClaimTopicsRegistry.sol/ClaimTopicsRegistry.json"
    )
    tir = proxy(
        "TrustedIssuersRegistryProxy",
        "contracts/registry/implementation/TrustedIssuersRegistry.sol/TrustedIssuersRegistry.json",
    )
    irs = proxy(
        "IdentityRegistryStorageProxy",
        "contracts/registry/implementation/IdentityRegistryStorage.sol/IdentityRegistryStorage.json",
    )
    ir = proxy(
        "IdentityRegistryProxy", "contracts/registry/implementation/IdentityRegistry.sol/IdentityRegistry.json",
        tir.address, ctr.address, irs.address,
    )  # fmt: skip
    compliance = proxy(
        "ModularComplianceProxy", "contracts/compliance/modular/ModularCompliance.sol/ModularCompliance.json"
    )

    # ONCHAINID: implementation and its authority from T-REX's optimised bundle, the proxy from @onchain-id.
    identity_impl = chain.deploy(
        deployer, _trex("@onchain-id/solidity/contracts/Identity.sol/Identity.json"), deployer.address, True,
        label="trex: deploy Identity implementation",
    )  # fmt: skip
    authority_artifact = _trex(
        "@onchain-id/solidity/contracts/proxy/ImplementationAuthority.sol/ImplementationAuthority.json"
    )
    identity_authority = chain.deploy(
        deployer, authority_artifact, identity_impl.address, label="trex: deploy identity ImplementationAuthority"
    )
    token_identity = _deploy_identity(chain, deployer, identity_authority.address, deployer.address)

    token = proxy(
        "TokenProxy", "contracts/token/Token.sol/Token.json",
        ir.address, compliance.address, "Bench Security", "BSEC", 0, token_identity[0],
    )  # fmt: skip
    chain.transact(deployer, irs.functions.bindIdentityRegistry(ir.address), label="trex: bindIdentityRegistry")
    chain.transact(deployer, token.functions.addAgent(agent.address), label="trex: token addAgent")
    chain.transact(deployer, ir.functions.addAgent(agent.address), label="trex: registry addAgent")
    chain.transact(deployer, ir.functions.addAgent(token.address), label="trex: registry addAgent(token)")

    topic = int.from_bytes(keccak(b"CLAIM_TOPIC"), "big")
    chain.transact(deployer, ctr.functions.addClaimTopic(topic), label="trex: addClaimTopic")
    claim_issuer = chain.deploy(
        issuer, _trex("@onchain-id/solidity/contracts/ClaimIssuer.sol/ClaimIssuer.json"), issuer.address,
        label="trex: deploy ClaimIssuer",
    ).contract  # fmt: skip
    signing_key_hash = keccak(abi_encode(["address"], [signing_key.address]))
    chain.transact(issuer, claim_issuer.functions.addKey(signing_key_hash, 3, 1), label="trex: issuer claim key")
    chain.transact(
        deployer, tir.functions.addTrustedIssuer(claim_issuer.address, [topic]), label="trex: addTrustedIssuer"
    )
    return _Trex(token=token, identity_registry=ir, identity_authority=identity_authority.address,
                 claim_issuer=claim_issuer, topic=topic)  # fmt: skip


def _identity_proxy_artifact() -> Artifact:
    return hardhat_artifact(_ONCHAINID / "contracts" / "proxy" / "IdentityProxy.sol" / "IdentityProxy.json")


def _deploy_identity(
    chain: Chain, deployer: LocalAccount, authority: ChecksumAddress, management_key: ChecksumAddress
) -> tuple[ChecksumAddress, int]:
    deployed = chain.deploy(
        deployer, _identity_proxy_artifact(), authority, management_key, label="trex: deploy IdentityProxy"
    )
    return deployed.address, deployed.receipt["gasUsed"]


def _onboard(
    chain: Chain,
    trex: _Trex,
    deployer: LocalAccount,
    agent: LocalAccount,
    investor: LocalAccount,
    signing_key: LocalAccount,
    country: int,
) -> dict[str, int]:
    """Deploy the investor's identity, register it, add the issuer-signed claim; the gas of each step."""
    identity_address, deploy_gas = _deploy_identity(chain, deployer, trex.identity_authority, investor.address)
    register = chain.transact(
        agent, trex.identity_registry.functions.registerIdentity(investor.address, identity_address, country),
        label="trex: registerIdentity",
    )  # fmt: skip
    data = b"Some claim public data."
    digest = keccak(abi_encode(["address", "uint256", "bytes"], [identity_address, trex.topic, data]))
    signed = signing_key.sign_message(encode_defunct(primitive=digest))
    signature = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
    identity = chain.at(identity_address, _trex("@onchain-id/solidity/contracts/Identity.sol/Identity.json").abi)
    add_claim = chain.transact(
        investor, identity.functions.addClaim(trex.topic, 1, trex.claim_issuer.address, signature, data, ""),
        label="trex: addClaim",
    )  # fmt: skip
    if not trex.identity_registry.functions.isVerified(investor.address).call():
        raise BenchError(f"trex: investor {investor.address} is not verified after onboarding")
    return {"deploy": deploy_gas, "register": register["gasUsed"], "claim": add_claim["gasUsed"]}


def measure_trex(chain: Chain, accounts: Sequence[LocalAccount]) -> dict[str, int]:
    """T-REX 4.1.6: onboarding of a third investor (identity + registration + claim) and a transfer between two
    onboarded investors who both hold tokens (the second of two identical transfers)."""
    signing_key = dev_account(_CLAIM_SIGNING_KEY_INDEX)
    trex = _deploy_trex(chain, accounts, signing_key)
    deployer, agent = accounts[_DEPLOYER], accounts[_AGENT]
    alice, bob, charlie = accounts[_ALICE], accounts[_BOB], accounts[_CHARLIE]
    _onboard(chain, trex, deployer, agent, alice, signing_key, 840)
    _onboard(chain, trex, deployer, agent, bob, signing_key, 840)
    steps = _onboard(chain, trex, deployer, agent, charlie, signing_key, 840)

    token = trex.token
    chain.transact(agent, token.functions.mint(alice.address, 1_000), label="trex: mint alice")
    chain.transact(agent, token.functions.mint(bob.address, 500), label="trex: mint bob")
    chain.transact(agent, token.functions.unpause(), label="trex: unpause")
    gas = 0
    for n in range(2):
        receipt = chain.transact(alice, token.functions.transfer(bob.address, 10), label=f"trex: transfer #{n}")
        gas = receipt["gasUsed"]
    if token.functions.balanceOf(bob.address).call() != 520:
        raise BenchError("trex: bob's balance is not 520 after two transfers of 10")
    return {
        "trex_transfer_gas": gas,
        "trex_onboarding_gas": steps["deploy"] + steps["register"] + steps["claim"],
        "trex_onboarding_identity_gas": steps["deploy"],
        "trex_onboarding_register_gas": steps["register"],
        "trex_onboarding_claim_gas": steps["claim"],
    }


# ---------------------------------------------------------------- MerkleDistributor


def _pick_pair(tree: BalanceTree) -> tuple[Entitlement, Entitlement]:
    """Two leaves in one bitmap word, neither in word 0, both with a full-depth proof."""
    word = 1 if len(tree.entries) > 256 else 0
    chosen = [
        e for e in tree.entries
        if e.index // 256 == word and len(tree.proof(e)) == tree.depth
    ][:2]  # fmt: skip
    if len(chosen) < 2:
        raise BenchError(f"merkle: no two full-depth leaves in bitmap word {word}")
    return chosen[0], chosen[1]


def measure_merkle(
    chain: Chain, accounts: Sequence[LocalAccount], stablecoin: Stablecoin, leaves: int = MERKLE_LEAVES_FULL
) -> dict[str, int]:
    """``MerkleDistributor.claim`` in a ``leaves``-leaf tree, paying ``stablecoin``.

    ``merkle_claim_gas_100k``: steady state, the recipient already holds the stablecoin and the bitmap word is
    already non-zero (the cheapest end of the range). ``merkle_claim_gas_100k_fresh``: the first claim of a word
    to a recipient holding nothing (the dearest end).
    """
    deployer, caller = accounts[_DEPLOYER], accounts[_BUYER]
    tree = BalanceTree.build(bench_entitlements(leaves))
    usd = stablecoin.deploy(chain, deployer)
    artifact = hardhat_artifact(_MERKLE / "MerkleDistributor.json")
    distributor = chain.deploy(
        deployer, artifact, usd.address, tree.root, label="merkle: deploy MerkleDistributor"
    ).contract
    chain.transact(deployer, usd.functions.mint(distributor.address, tree.total()), label="merkle: fund distributor")
    fresh, steady = _pick_pair(tree)
    chain.transact(deployer, usd.functions.mint(steady.account, 1), label="merkle: recipient already holds USDC")
    gas: dict[str, int] = {}
    for key, entry in (("merkle_claim_gas_100k_fresh", fresh), ("merkle_claim_gas_100k", steady)):
        before = usd.functions.balanceOf(entry.account).call()
        receipt = chain.transact(
            caller, distributor.functions.claim(entry.index, entry.account, entry.amount, tree.proof(entry)),
            label=f"merkle: claim index {entry.index}",
        )  # fmt: skip
        if usd.functions.balanceOf(entry.account).call() - before != entry.amount:
            raise BenchError(f"merkle: index {entry.index} was not paid {entry.amount}")
        if not distributor.functions.isClaimed(entry.index).call():
            raise BenchError(f"merkle: index {entry.index} not marked claimed")
        gas[key] = receipt["gasUsed"]
    gas["merkle_leaves"] = leaves
    gas["merkle_proof_length"] = tree.depth
    return gas


# ---------------------------------------------------------------- all anchors


def measure_anchors(
    chain: Chain, accounts: Sequence[LocalAccount], stablecoin: Stablecoin, *, merkle_leaves: int = MERKLE_LEAVES_FULL
) -> dict[str, int]:
    """Every anchor on ``chain``: the :data:`ANCHOR_KEYS` figures plus breakdowns (``trex_onboarding_*_gas``,
    ``merkle_claim_gas_100k_fresh``, ``merkle_leaves``, ``merkle_proof_length``)."""
    if len(accounts) < 8:
        raise ValueError(f"accounts: the anchors need 8 funded accounts, got {len(accounts)}")
    figures: dict[str, int] = {}
    figures |= measure_seaport(chain, accounts, stablecoin)
    figures |= measure_floor(chain, accounts, stablecoin)
    figures |= measure_trex(chain, accounts)
    figures |= measure_merkle(chain, accounts, stablecoin, merkle_leaves)
    return figures


def measure(ctx: BenchContext) -> dict[str, int]:
    """The ``anchors`` group of ``bench/run.py``."""
    leaves = MERKLE_LEAVES_QUICK if ctx.quick else MERKLE_LEAVES_FULL
    return measure_anchors(ctx.chain, ctx.accounts, ctx.stablecoin, merkle_leaves=leaves)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.anchors``: a fresh anvil, the anchors, JSON on stdout."""
    parser = argparse.ArgumentParser(prog="python -m bench.anchors", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{MERKLE_LEAVES_QUICK:,}-leaf Merkle tree")
    parser.add_argument("--stablecoin", default="auto", help="auto (MockUSDC if present), mockusdc or benchusd")
    args = parser.parse_args(argv)
    stablecoin = resolve_stablecoin(args.stablecoin)
    start = time.perf_counter()
    with AnvilNode(genesis_timestamp=BENCH_GENESIS_TIMESTAMP) as node:
        chain = Chain(node.web3())
        figures = measure_anchors(
            chain, dev_accounts(node.accounts), stablecoin,
            merkle_leaves=MERKLE_LEAVES_QUICK if args.quick else MERKLE_LEAVES_FULL,
        )  # fmt: skip
    out = {"figures": figures, "stablecoin": stablecoin.label, "seconds": round(time.perf_counter() - start, 1)}
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
