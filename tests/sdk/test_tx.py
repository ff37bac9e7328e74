"""pyclaims.tx on a real anvil: chain checks, nonces, fees, lost replies, stuck transactions, receipts."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import coincurve
import pytest
from anvil import Anvil, FaultyHTTPProvider, dev_account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract

from pyclaims.tx import (
    DroppedTransactionError,
    FeePolicy,
    Fees,
    Journal,
    NonceManager,
    Op,
    OpStatus,
    SendRejectedError,
    StuckTransactionError,
    TransactionFailedError,
    TxSender,
    TxState,
    WouldRevertError,
    WrongChainError,
    WrongCodeError,
    _sign_1559,
    check_chain,
    code_hash,
)

GWEI = 10**9


def recipient(tag: str, i: int) -> ChecksumAddress:
    """A fresh address nobody has used: its balance counts the transfers it received."""
    return Web3.to_checksum_address(keccak(f"recipient:{tag}:{i}".encode())[12:])


class CountingSigner:
    """A real LocalAccount that counts its signatures (to prove none was made)."""

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self.calls = 0

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    def sign_transaction(self, transaction_dict: dict[str, Any]) -> SignedTransaction:
        self.calls += 1
        return self._account.sign_transaction(transaction_dict)


def transfer(to: str, value: int = 1) -> dict[str, Any]:
    return {"to": to, "value": value, "gas": 21_000}


# ------------------------------------------------------------------------------------------------ chain checks


def test_check_chain_wrong_chain_id_refused_before_any_signature() -> None:
    with Anvil(chain_id=4242) as node:
        signer = CountingSigner(dev_account(0))
        sender = TxSender(node.web3(), signer, expected_chain_id=31337)
        with pytest.raises(WrongChainError) as info:
            sender.send(transfer(recipient("chain", 0)))
        assert (info.value.expected, info.value.actual) == (31337, 4242)
        with pytest.raises(WrongChainError):
            sender.transact(transfer(recipient("chain", 0)))
        assert signer.calls == 0
        assert node.rpc("eth_getTransactionCount", signer.address, "pending") == "0x0"
        # The right expectation passes and signs.
        ok = TxSender(node.web3(), signer, expected_chain_id=4242)
        assert ok.transact(transfer(recipient("chain", 1)))["status"] == 1
        assert signer.calls == 1


def test_check_chain_wrong_code_hash_refused(w3: Web3, registry: Contract, compiled: dict[str, Any]) -> None:
    good = keccak(compiled["Registry"].runtime)
    assert code_hash(w3, registry.address) == good
    assert check_chain(w3, 31337, {registry.address: good}) == 31337
    signer = CountingSigner(dev_account(0))
    bad = TxSender(w3, signer, expected_chain_id=31337, expected_code_hashes={registry.address: keccak(b"other")})
    with pytest.raises(WrongCodeError) as info:
        bad.send(transfer(recipient("code", 0)))
    assert info.value.address == registry.address
    assert info.value.actual == good
    assert info.value.code_size == len(compiled["Registry"].runtime)
    empty = recipient("code", 1)
    with pytest.raises(WrongCodeError) as info2:
        check_chain(w3, 31337, {empty: good})
    assert info2.value.code_size == 0
    assert signer.calls == 0


# ------------------------------------------------------------------------------------------------ nonces


def test_nonce_manager_gaps_release_and_resync() -> None:
    chain = {"pending": 5}
    manager = NonceManager(1, dev_account(0).address, lambda: chain["pending"])
    assert [manager.acquire() for _ in range(3)] == [5, 6, 7]
    manager.release(6)
    assert manager.gaps == (6,)
    assert manager.acquire() == 6  # the gap is handed out first
    assert manager.acquire_many(2) == [8, 9]
    manager.release(9)  # the top folds back into the counter
    assert manager.gaps == ()
    assert manager.next_nonce == 9
    with pytest.raises(ValueError, match="not handed out"):
        manager.release(9)
    manager.release(7)
    with pytest.raises(ValueError, match="already released"):
        manager.release(7)
    chain["pending"] = 20  # someone else used the account
    assert manager.resync() == 20
    assert manager.gaps == ()
    chain["pending"] = 3  # never moves down while ours are in flight
    assert manager.resync() == 20


def test_concurrent_senders_get_contiguous_nonces(w3: Web3) -> None:
    account = dev_account(0)
    sender = TxSender(w3, account, expected_chain_id=31337)
    second = TxSender(w3, account, expected_chain_id=31337, nonce_manager=sender.nonces)
    start = w3.eth.get_transaction_count(account.address, "pending")
    threads, per_thread = 8, 20
    sent: list[Any] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        target = sender if index % 2 else second
        try:
            for i in range(per_thread):
                s = target.send(transfer(recipient("conc", index * per_thread + i)))
                with lock:
                    sent.append(s)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors
    total = threads * per_thread
    assert sorted(s.nonce for s in sent) == list(range(start, start + total))
    receipts = sender.wait(sent)
    assert all(r["status"] == 1 for r in receipts)
    assert w3.eth.get_transaction_count(account.address) == start + total
    assert all(w3.eth.get_balance(recipient("conc", i)) == 1 for i in range(total))


def test_resync_on_nonce_too_low_from_a_send_behind_the_managers_back(w3: Web3) -> None:
    account = dev_account(0)
    sender = TxSender(w3, account, expected_chain_id=31337)
    first = sender.transact(transfer(recipient("low", 0)))
    assert first["status"] == 1
    behind = sender.nonces.next_nonce
    assert behind == 1
    # Another process uses the account: the manager still thinks nonce 1 is next.
    other = account.sign_transaction(
        {
            "type": 2,
            "chainId": 31337,
            "nonce": behind,
            "to": recipient("low", 99),
            "value": 7,
            "gas": 21_000,
            "maxFeePerGas": 10 * GWEI,
            "maxPriorityFeePerGas": GWEI,
        }
    )
    w3.eth.send_raw_transaction(other.raw_transaction)
    sent = sender.send(transfer(recipient("low", 1)))
    assert sent.nonce == behind + 1  # resynced and re-signed at the next free nonce
    assert sender.wait(sent)[0]["status"] == 1
    assert w3.eth.get_balance(recipient("low", 1)) == 1
    assert w3.eth.get_balance(recipient("low", 99)) == 7
    assert w3.eth.get_transaction_count(account.address) == 3


# ------------------------------------------------------------------------------------------------ lost replies


@pytest.mark.parametrize("faults", [2, 6])
def test_lost_send_replies_never_send_twice(anvil_node: Anvil, tmp_path: Path, faults: int) -> None:
    """web3 retries a send whose reply was lost; the node says "nonce too low"/"already known": look it up.

    With 2 faults the retry inside web3 sees the node's refusal; with 6 all five tries of one call fail and
    the sender asks the node by hash itself.
    """
    provider = FaultyHTTPProvider(anvil_node.url, faults=faults)
    w3 = Web3(provider)
    account = dev_account(0)
    with Journal(tmp_path / "journal.jsonl") as journal:
        sender = TxSender(w3, account, expected_chain_id=31337, journal=journal, batch_send=False)
        ops = [
            Op(
                f"pay:{i}",
                build=lambda i=i: transfer(recipient("lost", i), 1000 + i),
                is_done=lambda i=i: w3.eth.get_balance(recipient("lost", i)) > 0,
            )
            for i in range(6)
        ]
        report = sender.run_ops(ops)
    assert provider.injected == faults
    assert provider.forwarded > 6  # web3 re-sent requests whose replies were lost
    assert report.ok
    assert [r.status for r in report.results] == [OpStatus.MINED] * 6
    for i in range(6):
        assert w3.eth.get_balance(recipient("lost", i)) == 1000 + i
    assert w3.eth.get_transaction_count(account.address) == 6  # no second transaction for any op
    reloaded = Journal(tmp_path / "journal.jsonl")
    for i in range(6):
        history = reloaded.history(f"pay:{i}")
        assert history is not None and history.done
        assert [a.state for a in history.attempts] == [TxState.MINED]
    reloaded.close()


def test_lost_reply_of_a_single_transact(anvil_node: Anvil) -> None:
    provider = FaultyHTTPProvider(anvil_node.url, faults=1, methods=("eth_sendRawTransactionSync",))
    w3 = Web3(provider)
    sender = TxSender(w3, dev_account(0), expected_chain_id=31337, receipt_mode="sync")
    receipt = sender.transact(transfer(recipient("sync", 0), 5))
    assert provider.injected == 1
    assert receipt["status"] == 1
    assert w3.eth.get_balance(recipient("sync", 0)) == 5
    assert w3.eth.get_transaction_count(dev_account(0).address) == 1


# ------------------------------------------------------------------------------------------------ stuck tx


def test_stuck_transaction_replaced_exactly_one_mined(tmp_path: Path) -> None:
    with Anvil(no_mining=True) as node, Journal(tmp_path / "j.jsonl") as journal:
        w3 = node.web3()
        sender = TxSender(w3, dev_account(0), expected_chain_id=31337, journal=journal)
        to = recipient("stuck", 0)
        sent = sender.send(transfer(to, 1), op_id="pay:stuck")
        with pytest.raises(StuckTransactionError) as info:
            sender.wait(sent, timeout=0.2)
        assert info.value.tx_hash == sent.tx_hash
        assert info.value.chain_nonce == 0  # no hole below it: simply not mined
        # Replace the call too (2 wei instead of 1): the balance tells which one was mined.
        replacement = sender.replace(sent, tx=transfer(to, 2))
        assert replacement.nonce == sent.nonce
        assert replacement.fees.max_fee_per_gas * 100 >= sent.fees.max_fee_per_gas * 110
        assert replacement.fees.max_priority_fee_per_gas * 100 >= sent.fees.max_priority_fee_per_gas * 110
        node.rpc("evm_mine")
        receipt = sender.wait(sent)[0]  # waiting on the original yields whichever was mined
        assert receipt["transactionHash"] == replacement.tx_hash
        assert w3.eth.get_balance(to) == 2
        assert node.rpc("eth_getTransactionReceipt", sent.tx_hash.to_0x_hex()) is None
        node.rpc("evm_mine")
        assert w3.eth.get_balance(to) == 2
        history = journal.history("pay:stuck")
        assert history is not None and history.done
        assert history.winner == replacement.tx_hash.to_0x_hex()
        states = {a.tx_hash: a.state for a in history.attempts}
        assert states == {sent.tx_hash.to_0x_hex(): TxState.REPLACED, replacement.tx_hash.to_0x_hex(): TxState.MINED}


def test_transaction_dropped_from_the_pool_is_handed_over_again() -> None:
    with Anvil(no_mining=True) as node:
        w3 = node.web3()
        sender = TxSender(w3, dev_account(0), expected_chain_id=31337, rebroadcast_after=0.05)
        sent = sender.send(transfer(recipient("drop", 0), 4))
        node.rpc("anvil_dropTransaction", sent.tx_hash.to_0x_hex())
        assert node.rpc("eth_getTransactionByHash", sent.tx_hash.to_0x_hex()) is None

        def mine_later() -> None:
            # Mine only once the sender has had time to notice and re-send the dropped transaction.
            threading.Event().wait(0.5)
            node.rpc("evm_mine")

        miner = threading.Thread(target=mine_later)
        miner.start()
        receipt = sender.wait(sent, timeout=10)[0]
        miner.join()
        assert receipt["transactionHash"] == sent.tx_hash
        assert w3.eth.get_balance(recipient("drop", 0)) == 4


def test_nonce_taken_by_a_foreign_transaction_is_reported_dropped(tmp_path: Path) -> None:
    with Anvil(no_mining=True) as node, Journal(tmp_path / "j.jsonl") as journal:
        w3 = node.web3()
        account = dev_account(0)
        sender = TxSender(w3, account, expected_chain_id=31337, journal=journal)
        sent = sender.send(transfer(recipient("foreign", 0), 1), op_id="pay:foreign")
        # Someone else with the same key replaces it in the pool at the same nonce, paying more.
        foreign = account.sign_transaction(
            {
                "type": 2,
                "chainId": 31337,
                "nonce": sent.nonce,
                "to": recipient("foreign", 1),
                "value": 9,
                "gas": 21_000,
                "maxFeePerGas": sent.fees.max_fee_per_gas * 2,
                "maxPriorityFeePerGas": sent.fees.max_priority_fee_per_gas * 2,
            }
        )
        w3.eth.send_raw_transaction(foreign.raw_transaction)
        node.rpc("evm_mine")
        with pytest.raises(DroppedTransactionError) as info:
            sender.wait(sent, timeout=10)
        assert info.value.sent.tx_hash == sent.tx_hash
        assert w3.eth.get_balance(recipient("foreign", 0)) == 0
        history = journal.history("pay:foreign")
        assert history is not None and not history.done
        assert [a.state for a in history.attempts] == [TxState.DROPPED]


def test_replacement_below_ten_percent_is_not_offered() -> None:
    fees = Fees(100, 10)
    bumped = fees.bumped(10)
    assert (bumped.max_fee_per_gas, bumped.max_priority_fee_per_gas) == (110, 11)
    assert Fees(1, 0).bumped(10) == Fees(2, 1)  # always at least +1 wei
    with pytest.raises(ValueError, match="replacement_bump_pct"):
        FeePolicy(replacement_bump_pct=5)


# ------------------------------------------------------------------------------------------------ receipts


def _register(registry: Contract, key: bytes, value: int, gas: int | None = None) -> dict[str, Any]:
    tx: dict[str, Any] = {"to": registry.address, "data": registry.encode_abi("register", [key, value])}
    if gas is not None:
        tx["gas"] = gas
    return tx


def test_failed_transaction_carries_hash_and_decoded_revert(w3: Web3, registry: Contract) -> None:
    decoded_errors: list[bytes] = []

    def decoder(data: bytes) -> Exception | None:
        decoded_errors.append(data)
        return (
            LookupError(f"decoded 0x{data[:4].hex()}")
            if data[:4] == _selector("RegistryDuplicate(bytes32,uint256)")
            else None
        )

    sender = TxSender(w3, dev_account(0), expected_chain_id=31337, revert_decoder=decoder)
    key = keccak(b"claim-1")
    assert sender.transact(_register(registry, key, 5))["status"] == 1
    with pytest.raises(TransactionFailedError) as info:
        sender.transact(_register(registry, key, 6, gas=200_000))
    failed = info.value
    assert failed.receipt["status"] == 0
    assert failed.tx_hash == failed.receipt["transactionHash"]
    assert failed.revert_data is not None
    assert failed.revert_data[:4] == _selector("RegistryDuplicate(bytes32,uint256)")
    assert failed.revert_data[4:36] == key
    assert int.from_bytes(failed.revert_data[36:68], "big") == 5
    assert isinstance(failed.decoded, LookupError)
    with pytest.raises(TransactionFailedError) as info2:
        sender.transact(_register(registry, keccak(b"claim-2"), 0, gas=200_000))
    assert info2.value.reason == "Error('value is zero')"
    # Without a gas limit the estimate reverts first: nothing is signed or sent.
    before = w3.eth.get_transaction_count(dev_account(0).address)
    with pytest.raises(WouldRevertError) as info3:
        sender.send(_register(registry, key, 7))
    assert info3.value.revert_data[:4] == _selector("RegistryDuplicate(bytes32,uint256)")
    assert w3.eth.get_transaction_count(dev_account(0).address, "pending") == before


def _selector(signature: str) -> bytes:
    return keccak(signature.encode())[:4]


@pytest.mark.parametrize("mode", ["sync", "poll"])
def test_transact_sync_and_poll_modes(w3: Web3, mode: str) -> None:
    sender = TxSender(w3, dev_account(0), expected_chain_id=31337, receipt_mode=mode)
    assert sender.sync_supported()
    receipts = [sender.transact(transfer(recipient(mode, i), 3)) for i in range(5)]
    assert [r["status"] for r in receipts] == [1] * 5
    assert len({r["blockNumber"] for r in receipts}) == 5
    assert all(w3.eth.get_balance(recipient(mode, i)) == 3 for i in range(5))


def test_refused_send_releases_its_nonce_and_fills_the_gap(w3: Web3) -> None:
    poor = dev_account(12)  # not funded by anvil (only 0..9 are)
    sender = TxSender(w3, poor, expected_chain_id=31337)
    with pytest.raises(SendRejectedError) as info:
        sender.send(transfer(recipient("poor", 0)))
    assert "fund" in info.value.message.lower() or "balance" in info.value.message.lower()
    assert sender.nonces.next_nonce == 0
    # A pipelined batch in which the middle transaction is refused (too much value): the others still mine.
    rich = TxSender(w3, dev_account(0), expected_chain_id=31337, batch_send=True)
    ops_tx = [transfer(recipient("gap", 0)), transfer(recipient("gap", 1), 10**30), transfer(recipient("gap", 2))]
    with pytest.raises(SendRejectedError):
        rich.send_many(ops_tx)
    # The refused nonce was released and filled, so the later transaction is not stuck behind a hole.
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert w3.eth.get_balance(recipient("gap", 0)) == 1
    assert w3.eth.get_balance(recipient("gap", 2)) == 1
    assert w3.eth.get_balance(recipient("gap", 1)) == 0
    assert rich.nonces.gaps == ()
    assert w3.eth.get_transaction_count(dev_account(0).address) == 3


# ------------------------------------------------------------------------------------------------ fees


def test_fee_policy_from_fee_history(w3: Web3) -> None:
    base = w3.eth.get_block("pending")["baseFeePerGas"]
    fees = FeePolicy(base_fee_multiplier_pct=300, priority_fee=2 * GWEI).quote(w3)
    assert fees == Fees(base * 3 + 2 * GWEI, 2 * GWEI)
    assert FeePolicy().quote(w3).max_priority_fee_per_gas == GWEI  # anvil's tips are 0: the floor applies
    with pytest.raises(ValueError, match="max_fee_cap"):
        FeePolicy(max_fee_cap=1).quote(w3)
    with pytest.raises(ValueError, match="base_fee_multiplier_pct"):
        FeePolicy(base_fee_multiplier_pct=50)
    sender = TxSender(w3, dev_account(0), fee_policy=FeePolicy(priority_fee=3 * GWEI))
    receipt = sender.transact(transfer(recipient("fee", 0)))
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert tx["maxPriorityFeePerGas"] == 3 * GWEI


def test_bad_transaction_fields_name_the_field(w3: Web3) -> None:
    sender = TxSender(w3, dev_account(0))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"to": recipient("bad", 0), "nonce": 3}, "unknown field 'nonce'"),
        ({"to": recipient("bad", 0), "value": -1}, "tx.value"),
        ({"to": recipient("bad", 0), "value": 1.5}, "tx.value"),
        ({"to": recipient("bad", 0), "gas": 100}, "tx.gas"),
        ({"to": recipient("bad", 0), "data": "0xzz"}, "tx.data"),
        ({"to": recipient("bad", 0), "from": dev_account(1).address}, "tx.from"),
    ]
    for tx, message in cases:
        with pytest.raises(ValueError, match=message):
            sender.send(tx)
    assert w3.eth.get_transaction_count(dev_account(0).address, "pending") == 0


# ------------------------------------------------------------------------------------------------ fast signing


@settings(max_examples=300, deadline=None)
@given(
    chain_id=st.integers(1, 2**64 - 1),
    nonce=st.integers(0, 2**64 - 2),
    tip=st.integers(0, 2**200),
    extra=st.integers(0, 2**200),
    gas=st.integers(21_000, 2**63),
    to=st.one_of(st.none(), st.binary(min_size=20, max_size=20)),
    value=st.integers(0, 2**256 - 1),
    data=st.binary(max_size=300),
)
def test_fast_signing_is_byte_identical_to_eth_account(
    chain_id: int, nonce: int, tip: int, extra: int, gas: int, to: bytes | None, value: int, data: bytes
) -> None:
    account = dev_account(3)
    body: dict[str, Any] = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "maxPriorityFeePerGas": tip,
        "maxFeePerGas": tip + extra,
        "gas": gas,
        "value": value,
        "data": data,
    }
    if to is not None:
        body["to"] = Web3.to_checksum_address(to)
    expected = account.sign_transaction(body)
    raw, tx_hash = _sign_1559(coincurve.PrivateKey(bytes(account.key)), body)
    assert raw == bytes(expected.raw_transaction)
    assert tx_hash == bytes(expected.hash)


def test_sender_signs_the_same_bytes_fast_or_through_the_account(w3: Web3) -> None:
    account = dev_account(0)
    fast = TxSender(w3, account, expected_chain_id=31337, fee_policy=FeePolicy(priority_fee=GWEI))
    slow = TxSender(
        w3,
        CountingSigner(account),
        expected_chain_id=31337,
        fee_policy=FeePolicy(priority_fee=GWEI),
        fast_signing=False,
    )
    fees = Fees(7 * GWEI, GWEI)
    request = fast._normalize({"to": recipient("fast", 0), "value": 3, "gas": 30_000, "data": "0x1234"}, None)
    assert fast._fast_key is not None and slow._fast_key is None
    assert fast._sign(request, 5, fees, None) == slow._sign(request, 5, fees, None)
