"""The typed pyclaims client: every contract operation as a Python method, checked before anything is signed.

Connect to a node with a recorded deployment::

    from pyclaims.client import Client

    client = Client.connect("http://127.0.0.1:8545", "local", account=validator_key)
    client.define_class(1, 1)
    minted = client.mint(MintRequest(claim_ref=..., class_id=1, holder=..., amount=BaseUnits(...), ...))
    print(client.claim_of(minted.claim_id))

:meth:`Client.connect` refuses, before any key signs anything, a node whose chain id is not the deployment's
(:class:`~pyclaims.tx.WrongChainError`) or whose recorded addresses hold other code
(:class:`~pyclaims.tx.WrongCodeError`): the runtime code hashes recorded at deployment must match, and the code
must be the shipped contracts' (immutables and metadata hashes aside); the token must name the recorded
market, distributor and stablecoin.

Conventions:

- Money is :data:`~pyclaims.types.BaseUnits` (``int``) everywhere; options are keyword-only.
- Transactions are signed locally by the client's account and sent through :class:`~pyclaims.tx.TxSender`
  (nonce manager, fee policy, receipts checked). :meth:`Client.using` gives a client for another account on
  the same verified connection (accounts share nonce managers across clients).
- Every revert surfaces as its decoded :class:`~pyclaims.errors.ContractError` subclass
  (``ClaimTokenNotAttested``, ``ClaimMarketOrderFilled``...), with ``tx_hash`` set when a mined transaction
  failed; the :class:`~pyclaims.tx.TxError` it came from is its ``__cause__``.
- Views return frozen dataclasses from :mod:`pyclaims.models`; writes return a
  :class:`~pyclaims.models.Receipt` or a record built from the transaction's events (``MintedClaims``,
  ``SettlementRecord``, ``PayoutRecord``...).

Offline signing needs no connection: :func:`sign_attestation` (a verifier's ``AttestationRequest``) and
:func:`sign_validation` (a validator's ``Validation``) take the deployment for the domain.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn, cast

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.types import TxReceipt

from pyclaims import _abi
from pyclaims._rpc import RpcError, call, call_many, to_int
from pyclaims.deployments import Deployment, role_id
from pyclaims.eip712 import (
    LocalSigner,
    Signer,
    domain_separator,
    struct_hash_attestation,
    struct_hash_validation,
    token_domain,
)
from pyclaims.eip712 import digest as eip712_digest
from pyclaims.errors import ContractError, DeploymentError, PyclaimsError, UnknownContractError, decode_revert
from pyclaims.models import (
    Attestation,
    ChainEvent,
    Claim,
    ClassTotals,
    DeclaredRound,
    Deposit,
    HolderRecord,
    MintedClaims,
    MintRequest,
    OrderState,
    PayoutKind,
    PayoutRecord,
    Permit,
    Receipt,
    RecordOfRound,
    Round,
    SettlementRecord,
    SignedAttestation,
    SignedValidation,
)
from pyclaims.offers import Order, SignedOrder, sign_order
from pyclaims.tx import (
    FeePolicy,
    Journal,
    NonceManager,
    TransactionFailedError,
    TxError,
    TxSender,
    WouldRevertError,
    WrongCodeError,
    check_chain,
)
from pyclaims.types import RATE_SCALE, BaseUnits, ClaimStatus

__all__ = [
    "PERMIT_TYPEHASH",
    "Client",
    "sign_attestation",
    "sign_validation",
    "verify_deployment",
]

PERMIT_TYPEHASH: Final = bytes(
    keccak(text="Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)")
)
"""EIP-2612 ``Permit`` type hash."""

_ZERO_ADDRESS: Final = "0x0000000000000000000000000000000000000000"
_DEFAULT_DEADLINE: Final = 3600
_GAS_MARGIN_PCT: Final = 20

_CONTRACTS: Final = ("ClaimToken", "ClaimMarket", "ClaimDistributor", "Stablecoin")


def _as_signer(signer: Signer | LocalAccount) -> Signer:
    if isinstance(signer, LocalAccount):
        return LocalSigner(bytes(signer.key))
    return signer


def _quantity(value: Any) -> int:
    """A JSON-RPC quantity: an int (formatted by web3) or a ``0x`` hex string (raw)."""
    return int(value, 16) if isinstance(value, str) else int(value)


# ------------------------------------------------------------------------------------------------ offline signing


def sign_attestation(
    deployment: Deployment,
    signer: Signer | LocalAccount,
    *,
    wallet: str,
    entity_id: int,
    country: int,
    expiry: int,
    flags: int = 0,
    nonce: int,
    deadline: int,
) -> SignedAttestation:
    """Sign an ``AttestationRequest`` offline with a verifier's key (no connection needed).

    ``nonce`` must be the wallet's current attestation nonce (``Client.attestation_of(wallet).nonce``);
    anyone can then submit it with :meth:`Client.attest_by_sig` until ``deadline``.
    """
    signer_ = _as_signer(signer)
    wallet = str(to_checksum_address(wallet))
    struct = struct_hash_attestation(
        wallet=wallet, entity_id=entity_id, country=country, expiry=expiry, flags=flags, nonce=nonce, deadline=deadline
    )
    domain = token_domain(deployment.chain_id, deployment.token)
    signature = signer_.sign_digest(eip712_digest(domain.separator, struct))
    return SignedAttestation(
        wallet=wallet,
        entity_id=entity_id,
        country=country,
        expiry=expiry,
        flags=flags,
        nonce=nonce,
        deadline=deadline,
        signature=signature,
        chain_id=deployment.chain_id,
        token=deployment.token,
    )


def sign_validation(
    deployment: Deployment, signer: Signer | LocalAccount, request: MintRequest, *, deadline: int
) -> SignedValidation:
    """Sign a ``Validation`` (a mint request) offline with a validator's key, for :meth:`Client.mint_by_sig`."""
    signer_ = _as_signer(signer)
    struct = struct_hash_validation(
        claim_ref=request.claim_ref,
        class_id=request.class_id,
        holder=request.holder,
        amount=int(request.amount),
        status=int(request.status),
        evidence=request.evidence,
        deadline=deadline,
    )
    domain = token_domain(deployment.chain_id, deployment.token)
    signature = signer_.sign_digest(eip712_digest(domain.separator, struct))
    return SignedValidation(request, deadline, signature, deployment.chain_id, deployment.token)


# ------------------------------------------------------------------------------------------------ the client


@dataclass
class _Shared:
    """State shared by every client of one verified connection (see :meth:`Client.using`)."""

    w3: Web3
    deployment: Deployment
    chain_id: int
    fee_policy: FeePolicy
    receipt_mode: str
    receipt_timeout: float
    nonce_managers: dict[str, NonceManager] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def nonce_manager(self, address: str) -> NonceManager:
        with self.lock:
            manager = self.nonce_managers.get(address)
            if manager is None:
                manager = NonceManager.for_web3(self.w3, address, self.chain_id)
                self.nonce_managers[address] = manager
            return manager


def verify_deployment(w3: Web3, deployment: Deployment, *, check_bytecode: bool = True) -> int:
    """The checks :meth:`Client.connect` runs before anything is signed; returns the chain id.

    1. the node's chain id is the deployment's (:class:`~pyclaims.tx.WrongChainError`);
    2. each recorded runtime code hash matches the code now at its address (:class:`~pyclaims.tx.WrongCodeError`);
    3. with ``check_bytecode``, the code at the token, market, distributor (and a mock stablecoin) is the shipped
       contracts' code, immutables and metadata hashes aside (:class:`~pyclaims.tx.WrongCodeError`);
    4. the token names the recorded market, distributor and stablecoin (:class:`~pyclaims.errors.DeploymentError`).
    """
    chain_id = check_chain(w3, deployment.chain_id, deployment.expected_code_hashes())
    names = ["ClaimToken", "ClaimMarket", "ClaimDistributor"] + (["MockUSDC"] if deployment.stablecoin_mock else [])
    addresses = [deployment.address_of(n) for n in names]
    codes = [HexBytes(r.unwrap()) for r in call_many(w3, [("eth_getCode", [a, "latest"]) for a in addresses])]
    for name, address, code in zip(names, addresses, codes, strict=True):
        if not code or (check_bytecode and not _abi.runtime_matches(name, bytes(code))):
            expected = keccak(_abi.artifact(name).runtime)
            raise WrongCodeError(cast(Any, address), expected, keccak(bytes(code)), len(code))
    token_abi = _abi.contract_abi("ClaimToken")
    wanted = (
        ("market", deployment.market),
        ("distributor", deployment.distributor),
        ("stablecoin", deployment.stablecoin),
    )
    replies = call_many(
        w3,
        [
            ("eth_call", [{"to": deployment.token, "data": "0x" + token_abi.encode(fn).hex()}, "latest"])
            for fn, _ in wanted
        ],
    )
    for (fn, recorded), reply in zip(wanted, replies, strict=True):
        (actual,) = token_abi.function(fn).decode(bytes(HexBytes(reply.unwrap())))
        if to_checksum_address(actual) != recorded:
            raise DeploymentError(
                f"addresses.{fn}",
                f"the token at {deployment.token} names {to_checksum_address(actual)}, the deployment records "
                f"{recorded}",
                path=str(deployment.path) if deployment.path else None,
            )
    return chain_id


class Client:
    """A verified connection to one pyclaims deployment, optionally with an account that signs.

    Build one with :meth:`connect`; get one for another account with :meth:`using`.

    Attributes:
        w3: the web3 connection.
        deployment: the deployment (addresses, chain id).
        chain_id: the verified chain id.
        account: the signing account, or ``None`` (read-only).
    """

    def __init__(self, shared: _Shared, account: LocalAccount | None) -> None:
        self._shared = shared
        self.w3 = shared.w3
        self.deployment = shared.deployment
        self.chain_id = shared.chain_id
        self.account = account
        self._sender: TxSender | None = None
        self._token = _abi.contract_abi("ClaimToken")
        self._market = _abi.contract_abi("ClaimMarket")
        self._distributor = _abi.contract_abi("ClaimDistributor")
        self._stable = _abi.contract_abi("MockUSDC")
        self._codecs = {
            "ClaimToken": self._token,
            "ClaimMarket": self._market,
            "ClaimDistributor": self._distributor,
            "Stablecoin": self._stable,
        }
        self._by_address = {
            shared.deployment.token: "ClaimToken",
            shared.deployment.market: "ClaimMarket",
            shared.deployment.distributor: "ClaimDistributor",
            shared.deployment.stablecoin: "Stablecoin",
        }
        if account is not None:
            self._sender = self.tx_sender()

    # ---------------------------------------------------------------- construction

    @classmethod
    def connect(
        cls,
        rpc: str | Web3,
        deployment: Deployment | str | os.PathLike[str],
        *,
        account: LocalAccount | str | bytes | None = None,
        fee_policy: FeePolicy | None = None,
        receipt_mode: str = "auto",
        receipt_timeout: float = 120.0,
        check_bytecode: bool = True,
        request_timeout: float = 60.0,
    ) -> Client:
        """Connect and verify (chain id, code, wiring: see :func:`verify_deployment`) before anything is signed.

        Args:
            rpc: an HTTP JSON-RPC URL, or a ready ``Web3``.
            deployment: a :class:`~pyclaims.deployments.Deployment`, a deployment file path, or a network
                name (``"local"``: ``deployments/ethereum-local.json`` under the current directory).
            account: the signing account (eth-account ``LocalAccount`` or a private key); ``None`` is read-only.
            fee_policy: EIP-1559 fee policy of every sender of this connection.
            receipt_mode: see :class:`~pyclaims.tx.TxSender`.
            receipt_timeout: seconds to wait for a receipt before ``StuckTransactionError``.
            check_bytecode: also compare the code with the shipped contracts' (not only the recorded hashes).
            request_timeout: HTTP timeout of the provider (when ``rpc`` is a URL).

        Raises:
            WrongChainError, WrongCodeError, DeploymentError: the checks failed; nothing was signed.
        """
        if not isinstance(deployment, Deployment):
            deployment = Deployment.load(deployment)
        w3 = rpc if isinstance(rpc, Web3) else Web3(HTTPProvider(rpc, request_kwargs={"timeout": request_timeout}))
        chain_id = verify_deployment(w3, deployment, check_bytecode=check_bytecode)
        shared = _Shared(w3, deployment, chain_id, fee_policy or FeePolicy(), receipt_mode, receipt_timeout)
        return cls(shared, cls._account(account))

    @staticmethod
    def _account(account: LocalAccount | str | bytes | None) -> LocalAccount | None:
        if account is None or isinstance(account, LocalAccount):
            return account
        try:
            return cast(LocalAccount, Account.from_key(account))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"account: not a private key ({exc})") from None

    def using(self, account: LocalAccount | str | bytes) -> Client:
        """A client for ``account`` on this verified connection (nonce managers are shared per account)."""
        resolved = self._account(account)
        assert resolved is not None
        return Client(self._shared, resolved)

    @property
    def address(self) -> str:
        """The signing account's address."""
        if self.account is None:
            raise PyclaimsError(
                "this client has no account (read-only): pass account= to Client.connect or use using()"
            )
        return str(self.account.address)

    @property
    def signer(self) -> LocalSigner:
        """The account's EIP-712 digest signer (offers, permits, attestations)."""
        if self.account is None:
            raise PyclaimsError("this client has no account (read-only)")
        return LocalSigner(bytes(self.account.key))

    def tx_sender(self, *, journal: Journal | None = None) -> TxSender:
        """A :class:`~pyclaims.tx.TxSender` for this account (sharing its nonce manager), e.g. with a journal for
        :meth:`~pyclaims.tx.TxSender.run_ops`. Reverts it reports are decoded into contract errors."""
        if self.account is None:
            raise PyclaimsError("this client has no account (read-only)")
        return TxSender(
            self.w3,
            self.account,
            expected_chain_id=self.chain_id,
            expected_code_hashes=self.deployment.expected_code_hashes(),
            fee_policy=self._shared.fee_policy,
            nonce_manager=self._shared.nonce_manager(str(self.account.address)),
            journal=journal,
            receipt_mode=self._shared.receipt_mode,
            receipt_timeout=self._shared.receipt_timeout,
            gas_margin_pct=_GAS_MARGIN_PCT,
            revert_decoder=decode_revert,
            rebroadcast_after=1.0 if self.deployment.is_local else 5.0,
            on_stall=self._kick_local_node if self.deployment.is_local else None,
        )

    def _kick_local_node(self) -> None:
        """Mine a block on a local dev node: anvil's automine leaves ready transactions unmined when a block
        filled up, until the next transaction arrives."""
        call(self.w3, "evm_mine", [])

    @property
    def sender(self) -> TxSender:
        """This client's own sender (no journal)."""
        if self._sender is None:
            raise PyclaimsError("this client has no account (read-only)")
        return self._sender

    # ---------------------------------------------------------------- generic calls

    def address_of(self, contract: str) -> str:
        """The address of ``"ClaimToken"``, ``"ClaimMarket"``, ``"ClaimDistributor"`` or ``"Stablecoin"``."""
        return self.deployment.address_of(contract)

    def encode(self, contract: str, function: str, *args: Any) -> bytes:
        """Call data of ``contract.function(*args)``."""
        return self._codecs[contract].encode(function, *args)

    def tx_request(self, contract: str, function: str, *args: Any) -> dict[str, Any]:
        """The transaction ``{"to", "data"}`` of ``contract.function(*args)`` (for ``Op.build`` / ``send_many``)."""
        return {"to": self.address_of(contract), "data": self.encode(contract, function, *args)}

    def call(self, contract: str, function: str, *args: Any, block: int | str = "latest") -> tuple[Any, ...]:
        """Run a view with ``eth_call``; the decoded results (structs as dicts). Reverts raise their
        :class:`~pyclaims.errors.ContractError`."""
        fn = self._codecs[contract].function(function)
        params = {"to": self.address_of(contract), "data": "0x" + fn.encode(*args).hex()}
        if self.account is not None:
            params["from"] = self.address
        try:
            raw = call(self.w3, "eth_call", [params, hex(block) if isinstance(block, int) else block])
        except RpcError as exc:
            self._raise_rpc(exc)
        return fn.decode_named(bytes(HexBytes(raw)))

    def call_many(
        self, calls: Sequence[tuple[str, str, Sequence[Any]]], *, block: int | str = "latest"
    ) -> list[tuple[Any, ...]]:
        """Many views in JSON-RPC batches: ``[(contract, function, args), ...]`` -> results in order.

        The first revert raises its :class:`~pyclaims.errors.ContractError`."""
        tag = hex(block) if isinstance(block, int) else block
        fns = [self._codecs[c].function(f) for c, f, _ in calls]
        requests = [
            ("eth_call", [{"to": self.address_of(c), "data": "0x" + fn.encode(*args).hex()}, tag])
            for (c, _, args), fn in zip(calls, fns, strict=True)
        ]
        out: list[tuple[Any, ...]] = []
        for fn, reply in zip(fns, call_many(self.w3, requests), strict=True):
            if reply.error is not None:
                self._raise_rpc(reply.error)
            out.append(fn.decode_named(bytes(HexBytes(reply.result))))
        return out

    def try_call_many(
        self, calls: Sequence[tuple[str, str, Sequence[Any]]], *, block: int | str = "latest"
    ) -> list[tuple[Any, ...] | ContractError]:
        """:meth:`call_many`, with each revert's decoded :class:`~pyclaims.errors.ContractError` in place of its
        result instead of raised."""
        tag = hex(block) if isinstance(block, int) else block
        fns = [self._codecs[c].function(f) for c, f, _ in calls]
        requests = [
            ("eth_call", [{"to": self.address_of(c), "data": "0x" + fn.encode(*args).hex()}, tag])
            for (c, _, args), fn in zip(calls, fns, strict=True)
        ]
        out: list[tuple[Any, ...] | ContractError] = []
        for fn, reply in zip(fns, call_many(self.w3, requests), strict=True):
            if reply.error is None:
                out.append(fn.decode_named(bytes(HexBytes(reply.result))))
                continue
            try:
                self._raise_rpc(reply.error)
            except ContractError as err:
                out.append(err)
        return out

    def events(
        self,
        contract: str,
        event: str,
        *,
        where: Mapping[str, Any] | None = None,
        from_block: int | None = None,
        to_block: int | str = "latest",
        step: int = 50_000,
    ) -> list[ChainEvent]:
        """Every ``event`` of ``contract`` (default from the deployment's block), filtered on indexed parameters
        (``where={"classId": 1}``), fetched ``step`` blocks per ``eth_getLogs``, in chain order."""
        if step < 1:
            raise ValueError(f"step: must be >= 1, got {step}")
        spec = self._codecs[contract].event(event)
        topics: list[Any] = [HexBytes(spec.topic).to_0x_hex()]
        indexed = [(name, kind) for name, kind, is_indexed in spec.inputs if is_indexed]
        wanted = dict(where or {})
        unknown = set(wanted) - {name for name, _ in indexed}
        if unknown:
            raise ValueError(f"where: {sorted(unknown)} are not indexed parameters of {event}")
        for name, kind in indexed:
            if name in wanted:
                topics.append("0x" + abi_encode([kind], [wanted[name]]).hex())
            else:
                topics.append(None)
        while topics and topics[-1] is None:
            topics.pop()
        start = self.deployment.block if from_block is None else from_block
        end = (
            to_int(call(self.w3, "eth_blockNumber", []), field="eth_blockNumber")
            if to_block == "latest"
            else int(to_block)
        )
        logs: list[Mapping[str, Any]] = []
        for lo in range(start, end + 1, step):
            hi = min(end, lo + step - 1)
            params = {"address": self.address_of(contract), "topics": topics, "fromBlock": hex(lo), "toBlock": hex(hi)}
            logs.extend(call(self.w3, "eth_getLogs", [params]))
        return [e for e in self.decode_logs(logs) if e.name == event]

    def claims_in_class(self, class_id: int, *, to_block: int | str = "latest") -> list[int]:
        """The ids of every claim minted in ``class_id`` (from ``ClaimMinted`` events), ascending."""
        found = self.events("ClaimToken", "ClaimMinted", where={"classId": class_id}, to_block=to_block)
        return sorted(int(e.args["claimId"]) for e in found)

    def _one(self, contract: str, function: str, *args: Any, block: int | str = "latest") -> Any:
        return self.call(contract, function, *args, block=block)[0]

    @staticmethod
    def _raise_rpc(exc: RpcError) -> NoReturn:
        data = exc.data.get("data") if isinstance(exc.data, dict) else exc.data
        if isinstance(data, str) and data.startswith("0x"):
            raise decode_revert(data) from exc
        if exc.code == 3 or "revert" in exc.message.lower():
            raise UnknownContractError(b"", reason=exc.message) from exc
        raise exc

    @staticmethod
    def _raise_tx(exc: TxError) -> NoReturn:
        decoded = getattr(exc, "decoded", None)
        if isinstance(decoded, ContractError):
            if isinstance(exc, TransactionFailedError):
                decoded.tx_hash = exc.tx_hash.to_0x_hex()
            raise decoded from exc
        raise exc

    def transact(self, contract: str, function: str, *args: Any) -> Receipt:
        """Send ``contract.function(*args)`` from this account; the checked, decoded :class:`Receipt`."""
        return self.send(self.tx_request(contract, function, *args))

    def send(self, tx: Mapping[str, Any]) -> Receipt:
        """Send one transaction (``{"to", "data"}``) and return its decoded receipt; reverts raise their
        contract error."""
        try:
            raw = self.sender.transact(tx)
        except (WouldRevertError, TransactionFailedError) as exc:
            self._raise_tx(exc)
        return self.receipt(raw)

    def send_all(self, txs: Sequence[Mapping[str, Any]]) -> list[Receipt | PyclaimsError]:
        """Send many transactions pipelined (contiguous nonces, all in flight at once, receipts polled together).

        Gas is estimated for all of them in one JSON-RPC batch first, against the current state: a transaction
        that would revert is not sent and its decoded error takes its place in the result. Every receipt is
        checked; a mined failure is replayed to decode its error. Returns, per transaction in order, its
        :class:`Receipt` or its error (a :class:`~pyclaims.errors.ContractError`, or a
        :class:`~pyclaims.tx.TxError` for a transport or node problem).
        """
        if not txs:
            return []
        sender = self.sender
        estimates = call_many(
            self.w3,
            [
                ("eth_estimateGas", [{"from": self.address, "to": tx["to"], "data": "0x" + bytes(tx["data"]).hex()}])
                for tx in txs
            ],
        )
        out: list[Receipt | PyclaimsError | None] = [None] * len(txs)
        ready: list[tuple[int, dict[str, Any]]] = []
        for index, (tx, estimate) in enumerate(zip(txs, estimates, strict=True)):
            if estimate.error is not None:
                try:
                    self._raise_rpc(estimate.error)
                except PyclaimsError as err:
                    out[index] = err
                continue
            gas = to_int(estimate.result, field="eth_estimateGas") * (100 + _GAS_MARGIN_PCT) // 100
            ready.append((index, {"to": tx["to"], "data": tx["data"], "gas": gas}))
        if ready:
            try:
                sent = sender.send_many([tx for _, tx in ready])
            except TxError as exc:
                for index, _ in ready:
                    out[index] = exc
                sent = []
            receipts = sender.wait(sent, check=False) if sent else []
            for (index, _), receipt in zip(ready, receipts, strict=True):
                out[index] = self.receipt(receipt) if receipt["status"] == 1 else self._failed(receipt)
        return [cast(Receipt | PyclaimsError, r) for r in out]

    def _failed(self, receipt: TxReceipt) -> PyclaimsError:
        """The decoded error of a mined, failed transaction.

        The transaction is replayed with ``eth_call`` against the state before its block, then (when that does
        not revert: an earlier transaction of the same block made it fail) against the state after its block.
        """
        tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
        tx = call(self.w3, "eth_getTransactionByHash", [tx_hash])
        params: dict[str, Any] = {
            "from": receipt["from"],
            "to": receipt["to"],
            "data": tx.get("input", "0x") if tx else "0x",
            "gas": hex(int(tx["gas"], 16))
            if tx and isinstance(tx.get("gas"), str)
            else hex(int(receipt["gasUsed"]) * 2),
        }
        block = int(receipt["blockNumber"])
        error: ContractError = UnknownContractError(b"", reason="mined with status 0; no replay reverted")
        for at in (max(0, block - 1), block):
            try:
                call(self.w3, "eth_call", [params, hex(at)])
            except RpcError as exc:
                try:
                    self._raise_rpc(exc)
                except ContractError as decoded:
                    error = decoded
                except RpcError as other:
                    error = UnknownContractError(b"", reason=other.message)
                break
        error.tx_hash = tx_hash
        return error

    def receipt(self, raw: TxReceipt) -> Receipt:
        """Decode a web3 receipt into a :class:`Receipt` with the events of our contracts."""
        return Receipt(
            tx_hash=HexBytes(raw["transactionHash"]).to_0x_hex(),
            block_number=int(raw["blockNumber"]),
            gas_used=int(raw["gasUsed"]),
            effective_gas_price=int(raw.get("effectiveGasPrice", 0) or 0),
            events=self.decode_logs(raw["logs"]),
        )

    def decode_logs(self, logs: Sequence[Mapping[str, Any]]) -> tuple[ChainEvent, ...]:
        """The events of the pyclaims contracts and the stablecoin among ``logs`` (others are left out)."""
        out: list[ChainEvent] = []
        for log in logs:
            address = _abi.to_checksum_address(log["address"])
            contract = self._by_address.get(address)
            if contract is None:
                continue
            topics = [bytes(HexBytes(t)) for t in log["topics"]]
            try:
                decoded = self._codecs[contract].decode_log(topics, bytes(HexBytes(log["data"])))
            except Exception:  # a stablecoin event of another shape: not ours to decode
                decoded = None
            if decoded is None:
                continue
            name, args = decoded
            out.append(
                ChainEvent(
                    contract=contract,
                    name=name,
                    args=args,
                    address=address,
                    block_number=_quantity(log["blockNumber"]),
                    tx_hash=HexBytes(log["transactionHash"]).to_0x_hex(),
                    log_index=_quantity(log["logIndex"]),
                )
            )
        return tuple(out)

    def block_timestamp(self, block: int | str = "latest") -> int:
        """A block's timestamp (default: the latest)."""
        header = call(self.w3, "eth_getBlockByNumber", [hex(block) if isinstance(block, int) else block, False])
        return to_int(header["timestamp"], field="timestamp")

    def _deadline(self, deadline: int | None) -> int:
        return deadline if deadline is not None else self.block_timestamp() + _DEFAULT_DEADLINE

    # ================================================================ roles

    def has_role(self, role: str | bytes, account: str) -> bool:
        """Whether ``account`` holds ``role`` (a name like ``"VALIDATOR_ROLE"`` or a bytes32 id)."""
        return bool(self._one("ClaimToken", "hasRole", self._role(role), account))

    def grant_role(self, role: str | bytes, account: str) -> Receipt:
        """Grant ``role`` to ``account`` (the role's admin: ``DEFAULT_ADMIN_ROLE``)."""
        return self.transact("ClaimToken", "grantRole", self._role(role), account)

    def revoke_role(self, role: str | bytes, account: str) -> Receipt:
        """Revoke ``role`` from ``account``."""
        return self.transact("ClaimToken", "revokeRole", self._role(role), account)

    @staticmethod
    def _role(role: str | bytes) -> bytes:
        if isinstance(role, bytes):
            if len(role) != 32:
                raise ValueError(f"role: a role id is 32 bytes, got {len(role)}")
            return role
        return role_id(role)

    # ================================================================ identity

    def attest(self, wallet: str, *, entity_id: int, country: int, expiry: int, flags: int = 0) -> Receipt:
        """Write ``wallet``'s attestation (verifier role)."""
        return self.transact("ClaimToken", "attest", wallet, entity_id, country, expiry, flags)

    def sign_attestation(
        self,
        *,
        wallet: str,
        entity_id: int,
        country: int,
        expiry: int,
        flags: int = 0,
        deadline: int | None = None,
        nonce: int | None = None,
        signer: Signer | LocalAccount | None = None,
    ) -> SignedAttestation:
        """Sign an attestation request as a verifier (default: this account), reading the wallet's current nonce
        from chain unless given; ``deadline`` defaults to an hour after the latest block."""
        if nonce is None:
            nonce = self.attestation_of(wallet).nonce
        return sign_attestation(
            self.deployment,
            signer if signer is not None else self.signer,
            wallet=wallet,
            entity_id=entity_id,
            country=country,
            expiry=expiry,
            flags=flags,
            nonce=nonce,
            deadline=self._deadline(deadline),
        )

    def attest_by_sig(self, signed: SignedAttestation) -> Receipt:
        """Submit a verifier-signed attestation (any account may)."""
        self._check_domain(signed.chain_id, signed.token)
        return self.transact("ClaimToken", "attestBySig", signed.as_tuple(), signed.signature)

    def revoke(self, wallet: str) -> Receipt:
        """Revoke ``wallet``'s attestation at once (verifier role)."""
        return self.transact("ClaimToken", "revokeAttestation", wallet)

    def set_restricted(self, countries: Sequence[int], restricted: bool = True) -> Receipt:
        """Add (or with ``restricted=False`` remove) countries to the restricted set (compliance role)."""
        return self.transact("ClaimToken", "setRestricted", list(countries), restricted)

    def is_eligible(self, wallet: str) -> bool:
        """Attested, unexpired and not in a restricted jurisdiction."""
        return bool(self._one("ClaimToken", "isEligible", wallet))

    def is_restricted(self, country: int) -> bool:
        """Whether ``country`` is in the restricted set."""
        return bool(self._one("ClaimToken", "isRestricted", country))

    def attestation_of(self, wallet: str) -> Attestation:
        """``wallet``'s attestation (all zero when never attested)."""
        a = self._one("ClaimToken", "attestationOf", wallet)
        return Attestation(
            str(to_checksum_address(wallet)), a["entityId"], a["country"], a["expiry"], a["flags"], a["nonce"]
        )

    def _check_domain(self, chain_id: int, token: str) -> None:
        if chain_id != self.chain_id or to_checksum_address(token) != self.deployment.token:
            raise DeploymentError(
                "domain",
                f"signed for chain {chain_id} token {token}, this deployment is chain {self.chain_id} "
                f"token {self.deployment.token}",
            )

    # ================================================================ classes and claims

    def define_class(self, class_id: int, estate_id: int) -> Receipt:
        """Define class ``class_id`` of estate ``estate_id`` (validator role; once)."""
        return self.transact("ClaimToken", "defineClass", class_id, estate_id)

    def mint(self, request: MintRequest) -> MintedClaims:
        """Mint one validated claim (validator role)."""
        return self._minted(self.transact("ClaimToken", "mint", request.as_tuple()))

    def mint_batch(self, requests: Sequence[MintRequest]) -> MintedClaims:
        """Mint many claims in one transaction, all or nothing (validator role); ids are consecutive."""
        if not requests:
            raise ValueError("requests: at least one mint request")
        return self._minted(self.transact("ClaimToken", "mintBatch", [r.as_tuple() for r in requests]))

    def sign_validation(
        self, request: MintRequest, *, deadline: int | None = None, signer: Signer | LocalAccount | None = None
    ) -> SignedValidation:
        """Sign a mint request as a validator (default: this account) for :meth:`mint_by_sig`."""
        return sign_validation(
            self.deployment, signer if signer is not None else self.signer, request, deadline=self._deadline(deadline)
        )

    def mint_by_sig(self, signed: SignedValidation) -> MintedClaims:
        """Submit a validator-signed mint (any account may)."""
        self._check_domain(signed.chain_id, signed.token)
        return self._minted(
            self.transact("ClaimToken", "mintBySig", signed.request.as_tuple(), signed.deadline, signed.signature)
        )

    @staticmethod
    def _minted(receipt: Receipt) -> MintedClaims:
        events = receipt.named("ClaimMinted")
        return MintedClaims(
            tuple(int(e.args["claimId"]) for e in events), tuple(bytes(e.args["claimRef"]) for e in events), receipt
        )

    def amend_amount(self, claim_id: int, new_amount: int) -> Receipt:
        """Set a claim's allowed amount (validator role); class totals follow exactly."""
        return self.transact("ClaimToken", "amendAmount", claim_id, new_amount)

    def set_status(self, claim_id: int, status: ClaimStatus | int) -> Receipt:
        """Set a claim's status (validator role). Expunged is final."""
        return self.transact("ClaimToken", "setStatus", claim_id, int(status))

    def recover(self, claim_id: int, to: str) -> Receipt:
        """Move a claim from a lost wallet to another eligible wallet of the same entity (recovery role)."""
        return self.transact("ClaimToken", "recover", claim_id, to)

    def pause(self) -> Receipt:
        """Stop every claim movement and mint (pauser role). Withdrawals of deposits still work."""
        return self.transact("ClaimToken", "pause")

    def unpause(self) -> Receipt:
        """Resume (pauser role)."""
        return self.transact("ClaimToken", "unpause")

    def paused(self) -> bool:
        """Whether the token is paused."""
        return bool(self._one("ClaimToken", "paused"))

    def transfer_claim(self, claim_id: int, to: str) -> Receipt:
        """Transfer one of this account's claims (ERC-721 ``transferFrom``; both wallets must be eligible)."""
        return self.transact("ClaimToken", "transferFrom", self.address, to, claim_id)

    def claim_of(self, claim_id: int) -> Claim:
        """A claim (``ERC721NonexistentToken`` when there is none)."""
        return self._claim(claim_id, self._one("ClaimToken", "claimOf", claim_id))

    def claims_of(self, claim_ids: Sequence[int], *, block: int | str = "latest") -> list[Claim]:
        """Many claims in JSON-RPC batches."""
        results = self.call_many([("ClaimToken", "claimOf", (i,)) for i in claim_ids], block=block)
        return [self._claim(i, r[0]) for i, r in zip(claim_ids, results, strict=True)]

    @staticmethod
    def _claim(claim_id: int, v: Mapping[str, Any]) -> Claim:
        return Claim(
            claim_id=claim_id,
            holder=str(to_checksum_address(v["holder"])),
            class_id=int(v["classId"]),
            estate_id=int(v["estateId"]),
            amount=BaseUnits(int(v["amount"])),
            status=ClaimStatus(int(v["status"])),
            claim_ref=bytes(v["claimRef"]),
            evidence=bytes(v["evidence"]),
        )

    def class_of(self, class_id: int) -> ClassTotals:
        """A class and its running totals (``defined`` is False for an unknown id)."""
        v = self._one("ClaimToken", "classOf", class_id)
        return ClassTotals(
            class_id,
            bool(v["defined"]),
            int(v["estateId"]),
            int(v["claimCount"]),
            BaseUnits(int(v["totalAllowed"])),
            BaseUnits(int(v["disputedAllowed"])),
        )

    def claim_id_of(self, claim_ref: bytes) -> int:
        """The id minted for ``claim_ref``, or 0."""
        return int(self._one("ClaimToken", "claimIdOf", claim_ref))

    def claim_ids_of(self, claim_refs: Sequence[bytes], *, block: int | str = "latest") -> list[int]:
        """Many :meth:`claim_id_of` look-ups in JSON-RPC batches."""
        return [
            int(r[0]) for r in self.call_many([("ClaimToken", "claimIdOf", (ref,)) for ref in claim_refs], block=block)
        ]

    def claim_count(self) -> int:
        """How many claims were minted (ids are 1..count)."""
        return int(self._one("ClaimToken", "claimCount"))

    def amount_of(self, claim_id: int, *, block: int | str = "latest") -> BaseUnits:
        """A claim's allowed amount."""
        return BaseUnits(int(self._one("ClaimToken", "amountOf", claim_id, block=block)))

    def owner_of(self, claim_id: int) -> str:
        """The claim's holder."""
        return str(to_checksum_address(self._one("ClaimToken", "ownerOf", claim_id)))

    def balance_of(self, wallet: str) -> int:
        """How many claims ``wallet`` holds."""
        return int(self._one("ClaimToken", "balanceOf", wallet))

    # ---------------------------------------------------------------- holder of record

    def epoch(self) -> int:
        """How many rounds were declared (round ids are 1..epoch)."""
        return int(self._one("ClaimToken", "epoch"))

    def record_count(self, claim_id: int) -> int:
        """How many history records a claim has."""
        return int(self._one("ClaimToken", "recordCount", claim_id))

    def record_of(self, claim_id: int, index: int) -> HolderRecord:
        """One history record of a claim."""
        return self._record(self._one("ClaimToken", "recordOf", claim_id, index))

    @staticmethod
    def _record(v: Mapping[str, Any]) -> HolderRecord:
        return HolderRecord(
            str(to_checksum_address(v["holder"])),
            BaseUnits(int(v["amount"])),
            ClaimStatus(int(v["status"])),
            int(v["fromEpoch"]),
            int(v["toEpoch"]),
        )

    def record_hints(self, round_id: int, claim_ids: Sequence[int]) -> list[int]:
        """The ``hint`` for each claim's record of ``round_id`` (0 when the current values are the record).

        One batch of ``recordCount``, one of the latest record of claims that have history, and a binary search
        (a few more calls) only for claims whose record for the round is older than their latest one.
        """
        counts = [int(r[0]) for r in self.call_many([("ClaimToken", "recordCount", (c,)) for c in claim_ids])]
        hints = [0] * len(claim_ids)
        with_history = [(i, c, n) for i, (c, n) in enumerate(zip(claim_ids, counts, strict=True)) if n > 0]
        if not with_history:
            return hints
        lasts = self.call_many([("ClaimToken", "recordOf", (c, n - 1)) for _, c, n in with_history])
        for (i, claim_id, n), (last,) in zip(with_history, lasts, strict=True):
            record = self._record(last)
            if round_id > record.to_epoch:
                continue  # the current values are the record (hint ignored)
            if record.covers(round_id):
                hints[i] = n - 1
                continue
            low, high = 0, n - 1  # records cover contiguous ranges in order: binary search
            while low < high:
                mid = (low + high) // 2
                if self.record_of(claim_id, mid).to_epoch < round_id:
                    low = mid + 1
                else:
                    high = mid
            hints[i] = low
        return hints

    def record_hint(self, claim_id: int, round_id: int) -> int:
        """The ``hint`` for one claim's record of ``round_id``."""
        return self.record_hints(round_id, [claim_id])[0]

    def record_at(self, claim_id: int, round_id: int, *, hint: int | None = None) -> RecordOfRound:
        """Holder, amount and status of record of a claim for a round (``ClaimTokenNotOfRecord`` if it did not
        exist then)."""
        h = self.record_hint(claim_id, round_id) if hint is None else hint
        holder, amount, record_status, current_status, class_id = self.call(
            "ClaimToken", "recordAt", claim_id, round_id, h
        )
        return RecordOfRound(
            claim_id,
            round_id,
            str(to_checksum_address(holder)),
            BaseUnits(int(amount)),
            ClaimStatus(int(record_status)),
            ClaimStatus(int(current_status)),
            int(class_id),
        )

    # ================================================================ market

    def sign_order(self, order: Order) -> SignedOrder:
        """Sign ``order`` with this account (its maker) for this deployment's market and chain."""
        return sign_order(order, self.signer, market=self.deployment.market, chain_id=self.chain_id)

    def _check_offer(self, signed: SignedOrder) -> None:
        if signed.chain_id != self.chain_id or signed.market != self.deployment.market:
            raise DeploymentError(
                "offer",
                f"signed for chain {signed.chain_id} market {signed.market}, this deployment is chain "
                f"{self.chain_id} market {self.deployment.market}",
            )

    def fill_ask(self, signed: SignedOrder) -> SettlementRecord:
        """Buy the claim of a signed ask: this account pays ``price`` (it needs the allowance) and receives it."""
        self._check_offer(signed)
        return self._one_settlement(self.transact("ClaimMarket", "fillAsk", signed.order.as_tuple(), signed.signature))

    def fill_ask_with_permit(self, signed: SignedOrder, *, deadline: int | None = None) -> SettlementRecord:
        """:meth:`fill_ask` with an EIP-2612 permit for exactly the price signed by this account first (no separate
        approval transaction)."""
        self._check_offer(signed)
        permit = self.sign_permit(signed.order.price, deadline=deadline)
        receipt = self.transact(
            "ClaimMarket", "fillAskWithPermit", signed.order.as_tuple(), signed.signature, permit.as_tuple()
        )
        return self._one_settlement(receipt)

    def fill_bid(self, signed: SignedOrder, claim_id: int) -> SettlementRecord:
        """Sell ``claim_id`` (held by this account) into a signed bid; receive the price."""
        self._check_offer(signed)
        return self._one_settlement(
            self.transact("ClaimMarket", "fillBid", signed.order.as_tuple(), signed.signature, claim_id)
        )

    def fill_batch(self, fills: Sequence[tuple[SignedOrder, int]]) -> tuple[SettlementRecord, ...]:
        """Fill many orders as this account in one transaction, all or nothing: ``(signed order, claim id)``
        pairs (the claim id is the one sold into a bid; ignored for asks)."""
        if not fills:
            raise ValueError("fills: at least one fill")
        for signed, _ in fills:
            self._check_offer(signed)
        items = [(s.order.as_tuple(), s.signature, claim_id) for s, claim_id in fills]
        return tuple(self.settlements(self.transact("ClaimMarket", "fillBatch", items)))

    def fill_request(self, signed: SignedOrder, claim_id: int = 0) -> dict[str, Any]:
        """The transaction of a fill (``fillAsk`` or ``fillBid``), for pipelined sending."""
        self._check_offer(signed)
        if signed.order.side == 0:
            return self.tx_request("ClaimMarket", "fillAsk", signed.order.as_tuple(), signed.signature)
        return self.tx_request("ClaimMarket", "fillBid", signed.order.as_tuple(), signed.signature, claim_id)

    def fill_batch_request(self, fills: Sequence[tuple[SignedOrder, int]]) -> dict[str, Any]:
        """The ``fillBatch`` transaction of ``(signed order, claim id)`` pairs, for pipelined sending."""
        for signed, _ in fills:
            self._check_offer(signed)
        items = [(s.order.as_tuple(), s.signature, claim_id) for s, claim_id in fills]
        return self.tx_request("ClaimMarket", "fillBatch", items)

    def _one_settlement(self, receipt: Receipt) -> SettlementRecord:
        records = self.settlements(receipt)
        if len(records) != 1:
            raise PyclaimsError(f"transaction {receipt.tx_hash}: expected one OrderFilled event, got {len(records)}")
        return records[0]

    def settlements(self, receipt: Receipt) -> list[SettlementRecord]:
        """The fills of a transaction, from its ``OrderFilled`` (and ``DepositSpent``) events; the allowed amount
        of each claim is read at the transaction's block."""
        return self.settlements_many([receipt])[0]

    def settlements_many(self, receipts: Sequence[Receipt]) -> list[list[SettlementRecord]]:
        """:meth:`settlements` of many transactions, with every allowed-amount look-up (each at its own
        transaction's block) in one JSON-RPC batch rather than one round trip per transaction."""
        fills = [receipt.named("OrderFilled") for receipt in receipts]
        fn = self._codecs["ClaimToken"].function("amountOf")
        token = self.address_of("ClaimToken")
        requests = [
            ("eth_call", [{"to": token, "data": "0x" + fn.encode(int(e.args["claimId"])).hex()}, hex(r.block_number)])
            for r, events in zip(receipts, fills, strict=True)
            for e in events
        ]
        replies = iter(call_many(self.w3, requests))
        out: list[list[SettlementRecord]] = []
        for receipt, events in zip(receipts, fills, strict=True):
            spent = {bytes(e.args["orderHash"]) for e in receipt.named("DepositSpent")}
            records: list[SettlementRecord] = []
            for e in events:
                reply = next(replies)
                if reply.error is not None:
                    self._raise_rpc(reply.error)
                (amount,) = fn.decode_named(bytes(HexBytes(reply.result)))
                records.append(
                    SettlementRecord(
                        order_hash=bytes(e.args["orderHash"]),
                        buyer=str(e.args["buyer"]),
                        seller=str(e.args["seller"]),
                        claim_id=int(e.args["claimId"]),
                        price=BaseUnits(int(e.args["price"])),
                        allowed_amount=BaseUnits(int(amount)),
                        escrowed=bytes(e.args["orderHash"]) in spent,
                        gas_used=receipt.gas_used,
                        tx_hash=receipt.tx_hash,
                        block_number=receipt.block_number,
                        log_index=e.log_index,
                    )
                )
            out.append(records)
        return out

    def deposit(self, order: Order, amount: int) -> Receipt:
        """Escrow ``amount`` for this account's own bid (it needs the allowance). Credits what arrived."""
        return self.transact("ClaimMarket", "deposit", order.as_tuple(), amount)

    def deposit_with_permit(self, order: Order, amount: int, *, deadline: int | None = None) -> Receipt:
        """:meth:`deposit` with an EIP-2612 permit for exactly ``amount`` signed by this account first."""
        permit = self.sign_permit(amount, deadline=deadline)
        return self.transact("ClaimMarket", "depositWithPermit", order.as_tuple(), amount, permit.as_tuple())

    def withdraw(self, order_hash: bytes) -> Receipt:
        """Cancel this account's escrowed bid and take its whole deposit back (never paused)."""
        return self.transact("ClaimMarket", "withdraw", order_hash)

    def cancel(self, orders: Sequence[Order]) -> Receipt:
        """Cancel this account's orders."""
        return self.transact("ClaimMarket", "cancel", [o.as_tuple() for o in orders])

    def increment_counter(self) -> Receipt:
        """Cancel every order this account signed with its current counter."""
        return self.transact("ClaimMarket", "incrementCounter")

    def order_state(self, order_hash: bytes) -> OrderState:
        """Filled amount and cancellation flag of an order hash."""
        filled, cancelled = self.call("ClaimMarket", "orderState", order_hash)
        return OrderState(order_hash, int(filled), bool(cancelled))

    def order_states(self, order_hashes: Sequence[bytes]) -> list[OrderState]:
        """Many :meth:`order_state` look-ups in JSON-RPC batches."""
        results = self.call_many([("ClaimMarket", "orderState", (h,)) for h in order_hashes])
        return [OrderState(h, int(r[0]), bool(r[1])) for h, r in zip(order_hashes, results, strict=True)]

    def deposit_of(self, order_hash: bytes) -> Deposit:
        """The escrow of a bid."""
        buyer, amount = self.call("ClaimMarket", "depositOf", order_hash)
        return Deposit(order_hash, str(to_checksum_address(buyer)), BaseUnits(int(amount)))

    def deposits_of(self, order_hashes: Sequence[bytes]) -> list[Deposit]:
        """Many :meth:`deposit_of` look-ups in JSON-RPC batches."""
        results = self.call_many([("ClaimMarket", "depositOf", (h,)) for h in order_hashes])
        return [
            Deposit(h, str(to_checksum_address(r[0])), BaseUnits(int(r[1])))
            for h, r in zip(order_hashes, results, strict=True)
        ]

    def counter_of(self, maker: str) -> int:
        """``maker``'s current order counter."""
        return int(self._one("ClaimMarket", "counterOf", maker))

    def total_deposits(self) -> BaseUnits:
        """The sum of every open deposit."""
        return BaseUnits(int(self._one("ClaimMarket", "totalDeposits")))

    def hash_order(self, order: Order) -> bytes:
        """The market's own ``hashOrder`` (the SDK's :func:`pyclaims.offers.order_hash` equals it)."""
        return bytes(self._one("ClaimMarket", "hashOrder", order.as_tuple()))

    def sign_permit(self, value: int, *, spender: str | None = None, deadline: int | None = None) -> Permit:
        """An EIP-2612 permit of the stablecoin signed by this account (default spender: the market).

        The domain is the stablecoin's own ``DOMAIN_SEPARATOR()``, cross-checked against its ERC-5267
        ``eip712Domain()`` (name, version, chain id, address) when it has one.
        """
        owner = self.address
        spender_ = str(to_checksum_address(spender)) if spender is not None else self.deployment.market
        deadline_ = self._deadline(deadline)
        (separator,), (nonce,) = self.call_many(
            [("Stablecoin", "DOMAIN_SEPARATOR", ()), ("Stablecoin", "nonces", (owner,))]
        )
        self._check_permit_domain(bytes(separator))
        struct = keccak(
            PERMIT_TYPEHASH
            + bytes(12)
            + bytes.fromhex(owner[2:])
            + bytes(12)
            + bytes.fromhex(spender_[2:])
            + value.to_bytes(32, "big")
            + int(nonce).to_bytes(32, "big")
            + deadline_.to_bytes(32, "big")
        )
        signature = self.signer.sign_digest(eip712_digest(bytes(separator), bytes(struct)))
        return Permit(owner, value, deadline_, signature[64], signature[:32], signature[32:64])

    def _check_permit_domain(self, separator: bytes) -> None:
        try:
            fields_, name, version, chain_id, verifying, _salt, _ext = self.call("Stablecoin", "eip712Domain")
        except ContractError:
            return  # no ERC-5267 (e.g. FiatToken v2.2): the token's own separator is what it checks
        if chain_id != self.chain_id or to_checksum_address(verifying) != self.deployment.stablecoin:
            raise DeploymentError("stablecoin", f"its EIP-712 domain is for chain {chain_id} at {verifying}")
        if domain_separator(name, version, chain_id, str(to_checksum_address(verifying))) != separator:
            raise DeploymentError("stablecoin", "DOMAIN_SEPARATOR() does not match its eip712Domain()")
        del fields_

    # ================================================================ distributions

    def cumulative_rate_of(self, class_id: int) -> int:
        """The cumulative rate (ppm) declared so far for a class."""
        return int(self._one("ClaimDistributor", "cumulativeRateOf", class_id))

    def funding_for(self, class_id: int, cumulative_rate_ppm: int) -> BaseUnits:
        """What :meth:`declare_round` would pull now: ``ceil(totalAllowed * (rate - previous) / 1e6)``, where
        ``totalAllowed`` excludes expunged claims (disputed ones are funded and withheld)."""
        totals = self.class_of(class_id)
        delta = cumulative_rate_ppm - self.cumulative_rate_of(class_id)
        if delta <= 0:
            raise ValueError(
                f"cumulative_rate_ppm: must exceed the class's current rate by at least 1, got delta {delta}"
            )
        return BaseUnits(-(-totals.total_allowed * delta // RATE_SCALE))

    def declare_round(self, class_id: int, cumulative_rate_ppm: int, *, approve: bool = True) -> DeclaredRound:
        """Declare a round for ``class_id`` at a cumulative rate (distributor role); the distributor pulls the
        funding from this account. With ``approve`` the exact funding is approved first when the allowance is
        short."""
        if approve:
            needed = self.funding_for(class_id, cumulative_rate_ppm)
            if self.allowance(self.address, self.deployment.distributor) < needed:
                self.approve(self.deployment.distributor, needed)
        receipt = self.transact("ClaimDistributor", "declareRound", class_id, cumulative_rate_ppm)
        (event,) = receipt.named("RoundDeclared")
        return DeclaredRound(self.round_of(int(event.args["roundId"])), receipt)

    def round_of(self, round_id: int) -> Round:
        """A round (``ClaimDistributorUnknownRound`` when there is none)."""
        return self._round(round_id, self._one("ClaimDistributor", "roundOf", round_id))

    def rounds(self, round_ids: Sequence[int] | None = None) -> list[Round]:
        """Rounds by id (default: every round, 1..epoch) in JSON-RPC batches."""
        ids = list(range(1, self.epoch() + 1)) if round_ids is None else list(round_ids)
        results = self.call_many([("ClaimDistributor", "roundOf", (r,)) for r in ids])
        return [self._round(r, v[0]) for r, v in zip(ids, results, strict=True)]

    @staticmethod
    def _round(round_id: int, v: Mapping[str, Any]) -> Round:
        return Round(
            round_id=round_id,
            class_id=int(v["classId"]),
            rate_delta=int(v["rateDelta"]),
            cumulative_rate=int(v["cumulativeRate"]),
            declared_at=int(v["declaredAt"]),
            funder=str(to_checksum_address(v["funder"])),
            total_allowed=BaseUnits(int(v["totalAllowed"])),
            disputed_allowed=BaseUnits(int(v["disputedAllowed"])),
            funded=BaseUnits(int(v["funded"])),
            returned=BaseUnits(int(v["returned"])),
        )

    def payout(self, round_id: int, claim_id: int, *, hint: int | None = None) -> PayoutRecord:
        """Pay (round, claim) to its holder of record (anyone may call)."""
        h = self.record_hint(claim_id, round_id) if hint is None else hint
        return self._one_payout(self.transact("ClaimDistributor", "payout", round_id, claim_id, h))

    def payout_batch(
        self, round_id: int, claim_ids: Sequence[int], *, hints: Sequence[int] | None = None
    ) -> tuple[PayoutRecord, ...]:
        """Pay many claims of one round in one transaction; withheld, settled and failing ones are skipped
        (each skip is a ``skipped`` record with its reason)."""
        h = self.record_hints(round_id, claim_ids) if hints is None else list(hints)
        return tuple(self.payouts(self.transact("ClaimDistributor", "payoutBatch", round_id, list(claim_ids), h)))

    def payout_request(self, round_id: int, claim_ids: Sequence[int], hints: Sequence[int]) -> dict[str, Any]:
        """The transaction of a payout (one claim: ``payout``; several: ``payoutBatch``), for pipelined sending."""
        if len(claim_ids) == 1:
            return self.tx_request("ClaimDistributor", "payout", round_id, claim_ids[0], hints[0])
        return self.tx_request("ClaimDistributor", "payoutBatch", round_id, list(claim_ids), list(hints))

    def release(self, round_id: int, claim_id: int, *, hint: int | None = None) -> PayoutRecord:
        """Release a withheld payout to the holder of record once the claim is Allowed again (resolver role)."""
        h = self.record_hint(claim_id, round_id) if hint is None else hint
        return self._one_payout(self.transact("ClaimDistributor", "release", round_id, claim_id, h))

    def return_withheld(self, round_id: int, claim_id: int, *, hint: int | None = None) -> PayoutRecord:
        """Return an expunged claim's withheld payout to the round's funder (resolver role)."""
        h = self.record_hint(claim_id, round_id) if hint is None else hint
        return self._one_payout(self.transact("ClaimDistributor", "returnWithheld", round_id, claim_id, h))

    def amount_due(self, round_id: int, claim_id: int, *, hint: int | None = None) -> BaseUnits:
        """What (round, claim) is owed now (0 once settled)."""
        h = self.record_hint(claim_id, round_id) if hint is None else hint
        return BaseUnits(int(self._one("ClaimDistributor", "amountDue", round_id, claim_id, h)))

    def is_settled(self, round_id: int, claim_id: int) -> bool:
        """Whether (round, claim) was paid, released or returned."""
        return bool(self._one("ClaimDistributor", "isSettled", round_id, claim_id))

    def settled(self, round_id: int, claim_ids: Sequence[int]) -> list[bool]:
        """Many :meth:`is_settled` look-ups in JSON-RPC batches."""
        return [
            bool(r[0]) for r in self.call_many([("ClaimDistributor", "isSettled", (round_id, c)) for c in claim_ids])
        ]

    def _one_payout(self, receipt: Receipt) -> PayoutRecord:
        records = self.payouts(receipt)
        if len(records) != 1:
            raise PyclaimsError(f"transaction {receipt.tx_hash}: expected one payout event, got {len(records)}")
        return records[0]

    @staticmethod
    def payouts(receipt: Receipt) -> list[PayoutRecord]:
        """The (round, claim) settlements and skips of a transaction, from its distributor events."""
        kinds = {
            "PayoutMade": PayoutKind.PAID,
            "PayoutReleased": PayoutKind.RELEASED,
            "WithheldReturned": PayoutKind.RETURNED,
            "PayoutSkipped": PayoutKind.SKIPPED,
        }
        out: list[PayoutRecord] = []
        for e in receipt.events:
            kind = kinds.get(e.name)
            if kind is None or e.contract != "ClaimDistributor":
                continue
            skipped = kind == PayoutKind.SKIPPED
            recipient = None if skipped else str(e.args.get("holder", e.args.get("funder")))
            out.append(
                PayoutRecord(
                    round_id=int(e.args["roundId"]),
                    claim_id=int(e.args["claimId"]),
                    kind=kind,
                    recipient=recipient,
                    amount=BaseUnits(0 if skipped else int(e.args["amount"])),
                    skip_reason=int(e.args["reason"]) if skipped else None,
                    tx_hash=receipt.tx_hash,
                    block_number=receipt.block_number,
                    gas_used=receipt.gas_used,
                )
            )
        return out

    # ================================================================ stablecoin

    def approve(self, spender: str, amount: int) -> Receipt:
        """Approve ``spender`` (default use: the market or the distributor) for ``amount`` of the stablecoin."""
        return self.transact("Stablecoin", "approve", spender, amount)

    def allowance(self, owner: str, spender: str) -> BaseUnits:
        """The stablecoin allowance of ``owner`` to ``spender``."""
        return BaseUnits(int(self._one("Stablecoin", "allowance", owner, spender)))

    def stablecoin_balance(self, owner: str) -> BaseUnits:
        """``owner``'s stablecoin balance."""
        return BaseUnits(int(self._one("Stablecoin", "balanceOf", owner)))

    def stablecoin_balances(self, owners: Sequence[str], *, block: int | str = "latest") -> list[BaseUnits]:
        """Many balances in JSON-RPC batches."""
        results = self.call_many([("Stablecoin", "balanceOf", (o,)) for o in owners], block=block)
        return [BaseUnits(int(r[0])) for r in results]

    def transfer_stablecoin(self, to: str, amount: int) -> Receipt:
        """Send ``amount`` of the stablecoin."""
        return self.transact("Stablecoin", "transfer", to, amount)

    def mint_stablecoin(self, to: str, amount: int) -> Receipt:
        """Mint test stablecoin (``MockUSDC`` on a local deployment; its owner only)."""
        if not self.deployment.stablecoin_mock:
            raise DeploymentError("stablecoin", "minting is for the local MockUSDC only")
        return self.transact("Stablecoin", "mint", to, amount)
