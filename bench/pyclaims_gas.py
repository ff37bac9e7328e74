"""The pyclaims gas figures, measured on the bench's node beside the anchors (group ``pyclaims``).

Every figure is a receipt's ``gasUsed``. Conditions match the anchors' (toolchain.md, ``bench/anchors.py``):

- *steady state*: the seller already holds the stablecoin and sells its only claim, the buyer already holds a
  claim and the stablecoin with an unlimited allowance, so no balance goes from zero to non-zero. *fresh*: the
  seller holds no stablecoin and the buyer holds no claim.
- Each fill shape is measured after a warm-up fill of the same shape by other wallets, so the contracts' own
  first-use writes (a first deposit, a first payout) are not counted.
- A payout is measured to a holder that already holds the stablecoin, for a claim whose settled-bitmap word was
  already written by another payout of the round (the steady state of a round in progress);
  ``payout_gas_fresh`` is the first payout of its word to an empty wallet.
- ``declare_round_gas_N``: a class holding N real claims (minted with ``mintBatch``); in quick mode N is
  10 / 100 / 1,000 under the same names, so quick figures show flatness only.

Signing uses the SDK (``pyclaims.offers``, ``pyclaims.eip712``), so the bench also exercises its encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3.contract import Contract

from bench.chain import Chain
from bench.context import BenchContext
from bench.errors import BenchError
from bench.solidity import SUITE_SETTINGS, compile_contracts
from pyclaims.deployments import ROLE_NAMES
from pyclaims.eip712 import LocalSigner, digest, struct_hash_attestation, token_domain
from pyclaims.offers import Order, ask, bid_for_claim, sign_order

__all__ = ["measure"]

USD = 1_000_000
_CLAIM = 100_000 * USD
_PRICE = 60_000 * USD
_YEAR = 365 * 24 * 3600
_BATCH = 50
_MINT_CHUNK = 150


@dataclass
class _Suite:
    ctx: BenchContext
    chain: Chain
    admin: LocalAccount
    usdc: Contract
    token: Contract
    market: Contract
    distributor: Contract
    now: int
    next_ref: int = 1
    next_wallet: int = 1

    # ------------------------------------------------------------------ wallets
    def wallet(self, *, usdc: int = 0, attest: bool = True) -> LocalAccount:
        """A new funded wallet (key derived from a fixed seed: the same wallets every run)."""
        account: LocalAccount = Account.from_key(keccak(b"pyclaims-bench-wallet" + self.next_wallet.to_bytes(8, "big")))
        self.next_wallet += 1
        self.ctx.w3.provider.make_request("anvil_setBalance", [account.address, hex(10**21)])  # type: ignore[arg-type]
        if attest:
            self.attest(account)
        if usdc:
            self.fund(account, usdc)
        return account

    def attest(self, account: LocalAccount, *, entity: int | None = None) -> Any:
        return self.chain.transact(
            self.admin,
            self.token.functions.attest(account.address, entity or self.next_wallet, 840, self.now + _YEAR, 0),
            label="pyclaims: attest",
        )

    def fund(self, account: LocalAccount, amount: int) -> None:
        self.chain.transact(self.admin, self.usdc.functions.mint(account.address, amount), label="pyclaims: fund")
        self.chain.transact(
            account, self.usdc.functions.approve(self.market.address, 2**256 - 1), label="pyclaims: approve"
        )

    # ------------------------------------------------------------------ claims
    def request(self, holder: str, class_id: int, amount: int = _CLAIM, status: int = 0) -> tuple[Any, ...]:
        ref = keccak(b"pyclaims-bench-claim" + self.next_ref.to_bytes(8, "big"))
        self.next_ref += 1
        return (ref, class_id, holder, amount, status, keccak(b"evidence"))

    def mint(self, holder: LocalAccount, class_id: int = 1, amount: int = _CLAIM) -> tuple[int, Any]:
        receipt = self.chain.transact(
            self.admin,
            self.token.functions.mint(self.request(holder.address, class_id, amount)),
            label="pyclaims: mint",
        )
        return self.token.functions.claimCount().call(), receipt

    def mint_many(self, holder: str, class_id: int, count: int) -> None:
        done = 0
        while done < count:
            n = min(_MINT_CHUNK, count - done)
            reqs = [self.request(holder, class_id, 1_000 * USD + i) for i in range(n)]
            self.chain.transact(self.admin, self.token.functions.mintBatch(reqs), label="pyclaims: mintBatch")
            done += n

    # ------------------------------------------------------------------ orders
    def sign(self, order: Order, account: LocalAccount) -> bytes:
        signed = sign_order(order, LocalSigner(account.key), market=self.market.address, chain_id=self.chain.chain_id)
        return signed.signature

    def ask(self, seller: LocalAccount, claim_id: int, price: int = _PRICE) -> tuple[tuple[Any, ...], bytes]:
        order = ask(maker=seller.address, claim_id=claim_id, price=price, expiry=self.now + 30 * 86400, salt=claim_id)
        return order.as_tuple(), self.sign(order, seller)

    def bid(self, buyer: LocalAccount, claim_id: int, price: int = _PRICE) -> tuple[tuple[Any, ...], bytes]:
        order = bid_for_claim(
            maker=buyer.address, claim_id=claim_id, price=price, expiry=self.now + 30 * 86400, salt=claim_id + 7
        )
        return order.as_tuple(), self.sign(order, buyer)

    def fill_ask(self, seller: LocalAccount, buyer: LocalAccount, claim_id: int, label: str) -> int:
        order, sig = self.ask(seller, claim_id)
        receipt = self.chain.transact(buyer, self.market.functions.fillAsk(order, sig), label=label)
        self._check_owner(claim_id, buyer.address, label)
        return int(receipt["gasUsed"])

    def _check_owner(self, claim_id: int, owner: str, label: str) -> None:
        if self.token.functions.ownerOf(claim_id).call() != owner:
            raise BenchError(f"{label}: claim {claim_id} did not reach {owner}")


def _deploy(ctx: BenchContext) -> _Suite:
    chain, admin = ctx.chain, ctx.accounts[0]
    artifacts = compile_contracts(
        ["contracts/ClaimToken.sol", "contracts/ClaimMarket.sol", "contracts/ClaimDistributor.sol"], SUITE_SETTINGS
    )
    usdc = ctx.stablecoin.deploy(chain, admin)
    token = chain.deploy(
        admin, artifacts.get("contracts/ClaimToken.sol:ClaimToken"), usdc.address, admin.address,
        label="pyclaims: deploy ClaimToken",
    ).contract  # fmt: skip
    market = chain.at(token.functions.market().call(), artifacts.get("contracts/ClaimMarket.sol:ClaimMarket").abi)
    distributor = chain.at(
        token.functions.distributor().call(), artifacts.get("contracts/ClaimDistributor.sol:ClaimDistributor").abi
    )
    for role in ROLE_NAMES:
        chain.transact(
            admin,
            token.functions.grantRole(getattr(token.functions, role)().call(), admin.address),
            label=f"pyclaims: grant {role}",
        )
    for class_id in (1, 2, 3, 4, 5):
        chain.transact(admin, token.functions.defineClass(class_id, 1), label="pyclaims: defineClass")
    now = int(ctx.w3.eth.get_block("latest")["timestamp"])
    suite = _Suite(ctx, chain, admin, usdc, token, market, distributor, now)
    suite.attest(admin, entity=10_000)
    suite.fund(admin, 10**15)
    chain.transact(admin, usdc.functions.approve(distributor.address, 2**256 - 1), label="pyclaims: approve trust")
    return suite


def _identity(s: _Suite) -> dict[str, int]:
    fresh = s.wallet(attest=False)
    direct = s.attest(fresh)
    signed_for = s.wallet(attest=False)
    deadline = s.now + 86400
    fields = (signed_for.address, 424242, 276, s.now + _YEAR, 4, 0, deadline)
    struct = struct_hash_attestation(
        wallet=fields[0], entity_id=fields[1], country=fields[2], expiry=fields[3], flags=fields[4],
        nonce=fields[5], deadline=fields[6],
    )  # fmt: skip
    sig = LocalSigner(s.admin.key).sign_digest(
        digest(token_domain(s.chain.chain_id, s.token.address).separator, struct)
    )
    relayer = s.ctx.accounts[1]
    signed = s.chain.transact(relayer, s.token.functions.attestBySig(fields, sig), label="pyclaims: attestBySig")
    if not s.token.functions.isEligible(signed_for.address).call():
        raise BenchError("pyclaims: the signed attestation did not make the wallet eligible")
    return {"attest_gas": int(direct["gasUsed"]), "attest_signed_gas": int(signed["gasUsed"])}


def _fills(s: _Suite) -> dict[str, int]:
    figures: dict[str, int] = {}
    buyer = s.wallet(usdc=10**13)
    s.mint(buyer)  # the buyer already holds a claim
    # Warm-up fill by other wallets, then the measured steady-state ask fill: the seller sells its only claim.
    for label in ("warm-up", "measured"):
        seller = s.wallet(usdc=USD)
        claim_id, _ = s.mint(seller)
        figures["settle_gas"] = s.fill_ask(seller, buyer, claim_id, f"pyclaims: fillAsk ({label})")
    # Bid, steady state: the seller (caller) sells its only claim into the buyer's bid.
    seller = s.wallet(usdc=USD)
    claim_id, _ = s.mint(seller)
    order, sig = s.bid(buyer, claim_id)
    receipt = s.chain.transact(seller, s.market.functions.fillBid(order, sig, claim_id), label="pyclaims: fillBid")
    s._check_owner(claim_id, buyer.address, "fillBid")
    figures["settle_bid_gas"] = int(receipt["gasUsed"])
    # Fresh: the seller holds no stablecoin, the buyer no claim.
    seller, fresh_buyer = s.wallet(), s.wallet(usdc=10**12)
    claim_id, _ = s.mint(seller)
    figures["settle_gas_fresh"] = s.fill_ask(seller, fresh_buyer, claim_id, "pyclaims: fillAsk (fresh)")
    # Escrowed bid: the buyer deposits, then the seller fills; measured after a warm-up escrowed fill.
    for label in ("warm-up", "measured"):
        seller = s.wallet(usdc=USD)
        claim_id, _ = s.mint(seller)
        order, sig = s.bid(buyer, claim_id)
        s.chain.transact(buyer, s.market.functions.deposit(order, _PRICE), label="pyclaims: deposit")
        receipt = s.chain.transact(
            seller, s.market.functions.fillBid(order, sig, claim_id), label=f"pyclaims: escrowed fillBid ({label})"
        )
        s._check_owner(claim_id, buyer.address, "escrowed fillBid")
        figures["escrow_fill_gas"] = int(receipt["gasUsed"])
    # A batch of 50 asks from 50 sellers, filled by one buyer in one transaction.
    fills = []
    for _ in range(_BATCH):
        seller = s.wallet(usdc=USD)
        claim_id, _ = s.mint(seller)
        order, sig = s.ask(seller, claim_id)
        fills.append((order, sig, 0))
    receipt = s.chain.transact(buyer, s.market.functions.fillBatch(fills), label="pyclaims: fillBatch")
    figures["batch_settle_gas_per_offer"] = int(receipt["gasUsed"]) // _BATCH
    # A plain transfer between eligible wallets, both already holding claims.
    sender, recipient = s.wallet(), s.wallet()
    claim_id, _ = s.mint(sender)
    s.mint(sender)
    s.mint(recipient)
    receipt = s.chain.transact(
        sender, s.token.functions.transferFrom(sender.address, recipient.address, claim_id), label="pyclaims: transfer"
    )
    s._check_owner(claim_id, recipient.address, "transfer")
    figures["claim_transfer_gas"] = int(receipt["gasUsed"])
    # Minting one claim to a creditor who holds none yet.
    creditor = s.wallet()
    _, receipt = s.mint(creditor)
    figures["mint_gas"] = int(receipt["gasUsed"])
    return figures


def _rounds(s: _Suite, sizes: Sequence[int]) -> dict[str, int]:
    figures: dict[str, int] = {}
    # Warm-up: the distributor's first funding (its stablecoin balance leaves zero) on its own class.
    warm = s.wallet()
    s.mint(warm, class_id=5)
    s.chain.transact(s.admin, s.distributor.functions.declareRound(5, 100_000), label="pyclaims: warm-up round")
    for class_id, n in zip((2, 3, 4), sizes, strict=True):
        s.mint_many(s.admin.address, class_id, n)
        total = s.token.functions.classOf(class_id).call()[3]
        if s.token.functions.classOf(class_id).call()[2] != n:
            raise BenchError(f"pyclaims: class {class_id} holds the wrong number of claims")
        receipt = s.chain.transact(
            s.admin, s.distributor.functions.declareRound(class_id, 720_000), label=f"pyclaims: declareRound ({n})"
        )
        round_id = s.token.functions.epoch().call()
        funded = s.distributor.functions.roundOf(round_id).call()[7]
        if funded != -(-total * 720_000 // 1_000_000):
            raise BenchError(f"pyclaims: round {round_id} funded {funded}, expected ceil(total * 72%)")
        figures[f"declare_round_gas_{_name(n, sizes)}"] = int(receipt["gasUsed"])
    return figures


def _name(n: int, sizes: Sequence[int]) -> str:
    return {0: "10", 1: "1000", 2: "100000"}[list(sizes).index(n)]


def _payouts(s: _Suite) -> dict[str, int]:
    holders = [s.wallet(usdc=USD) for _ in range(_BATCH + 2)]
    empty = s.wallet()
    claims = [s.mint(h, class_id=1)[0] for h in holders]
    empty_claim = s.mint(empty, class_id=1)[0]
    s.chain.transact(s.admin, s.distributor.functions.declareRound(1, 720_000), label="pyclaims: declare (payouts)")
    round_id = s.token.functions.epoch().call()
    fresh = s.chain.transact(
        holders[0], s.distributor.functions.payout(round_id, empty_claim, 0), label="pyclaims: payout (fresh)"
    )
    steady = s.chain.transact(
        holders[0], s.distributor.functions.payout(round_id, claims[0], 0), label="pyclaims: payout"
    )
    batch_ids = claims[1 : 1 + _BATCH]
    batch = s.chain.transact(
        s.admin,
        s.distributor.functions.payoutBatch(round_id, batch_ids, [0] * len(batch_ids)),
        label="pyclaims: payoutBatch",
    )
    for claim_id in [claims[0], empty_claim, *batch_ids]:
        if not s.distributor.functions.isSettled(round_id, claim_id).call():
            raise BenchError(f"pyclaims: claim {claim_id} was not paid in round {round_id}")
    return {
        "payout_gas": int(steady["gasUsed"]),
        "payout_gas_fresh": int(fresh["gasUsed"]),
        "batch_payout_gas_per_claim": int(batch["gasUsed"]) // len(batch_ids),
    }


def measure(ctx: BenchContext) -> dict[str, int]:
    """All pyclaims gas figures on ``ctx``'s node (a fresh suite on ``ctx.stablecoin``)."""
    suite = _deploy(ctx)
    figures: dict[str, int] = {}
    figures.update(_identity(suite))
    figures.update(_fills(suite))
    figures.update(_payouts(suite))
    figures.update(_rounds(suite, (10, 100, 1_000) if ctx.quick else (10, 1_000, 100_000)))
    return figures
