"""The journal and resume: exactly one effect per operation through crashes, lost replies and node restarts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from anvil import Anvil, Compiled, FaultyHTTPProvider, deploy, dev_account
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from pyclaims.tx import (
    Journal,
    JournalError,
    JournalRecord,
    Op,
    OpStatus,
    SendUncertainError,
    TxSender,
    TxState,
)

SENDER = dev_account(0)


class Crash(BaseException):
    """The client process dies here (a BaseException: nothing in the SDK may swallow it)."""


def key(i: int) -> bytes:
    return keccak(f"claim-{i}".encode())


def register_ops(registry: Contract, count: int) -> list[Op]:
    """One op per key: register(key_i, i + 1); done when the registry holds the key (cf. claimIdOf(ref) != 0)."""

    def build(i: int) -> Callable[[], dict[str, Any]]:
        return lambda: {
            "to": registry.address,
            "data": registry.encode_abi("register", [key(i), i + 1]),
            "gas": 120_000,
        }

    def is_done(i: int) -> Callable[[], bool]:
        return lambda: registry.functions.valueOf(key(i)).call() != 0

    return [Op(f"register:0x{key(i).hex()}", build(i), is_done(i)) for i in range(count)]


def assert_exactly_once(w3: Web3, registry: Contract, count: int, nonce_before: int) -> None:
    assert registry.functions.count().call() == count
    for i in range(count):
        assert registry.functions.valueOf(key(i)).call() == i + 1
    # Every transaction the account ever sent mined with status 1: no duplicate (it would revert) and no extra.
    sent = w3.eth.get_transaction_count(SENDER.address) - nonce_before
    assert sent == count


# ------------------------------------------------------------------------------------------------ the file


def test_journal_round_trip_and_history(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append(JournalRecord("mint:a", TxState.SIGNED, tx_hash="0x01", nonce=4, raw_tx="0xaa", chain_id=1))
        journal.append(
            JournalRecord("mint:a", TxState.SENT, tx_hash="0x01", nonce=4),
            JournalRecord("mint:b", TxState.SIGNED, tx_hash="0x02", nonce=5, raw_tx="0xbb"),
        )
        journal.append(JournalRecord("mint:a", TxState.MINED, tx_hash="0x01", nonce=4, block=9))
        journal.append(JournalRecord("mint:c", TxState.DONE))
    lines = path.read_text().splitlines()
    assert len(lines) == 5
    assert json.loads(lines[0])["raw_tx"] == "0xaa"
    with Journal(path) as again:
        a = again.history("mint:a")
        assert a is not None and a.done and a.winner == "0x01" and a.block == 9
        assert a.attempts[0].raw_tx == "0xaa" and a.attempts[0].state is TxState.MINED
        b = again.history("mint:b")
        assert b is not None and not b.done and [x.tx_hash for x in b.in_flight] == ["0x02"]
        c = again.history("mint:c")
        assert c is not None and c.done and c.winner is None
        assert again.history("mint:zzz") is None
        assert again.op_ids() == ("mint:a", "mint:b", "mint:c")


def test_journal_torn_last_line_is_cut_and_corrupt_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append(JournalRecord("op:1", TxState.SIGNED, tx_hash="0x01", nonce=0, raw_tx="0x00"))
    good = path.read_bytes()
    path.write_bytes(good + b'{"op":"op:2","state":"sig')  # a crash in the middle of a write
    with Journal(path) as journal:
        assert journal.op_ids() == ("op:1",)
        journal.append(JournalRecord("op:2", TxState.DONE))
    assert path.read_bytes().startswith(good)
    assert [json.loads(x)["op"] for x in path.read_text().splitlines()] == ["op:1", "op:2"]
    path.write_bytes(good + b"not json\n" + good)
    with pytest.raises(JournalError) as info:
        Journal(path)
    assert info.value.line == 2
    path.write_bytes(b'{"op":"x","state":"teleported"}\n')
    with pytest.raises(JournalError, match="state"):
        Journal(path)


# ------------------------------------------------------------------------------------------------ lost replies + crash


@pytest.mark.parametrize(("batch_send", "predicate"), [(False, True), (True, True), (False, False)])
def test_crash_after_lost_replies_resumes_exactly_once(
    anvil_node: Anvil, registry: Contract, tmp_path: Path, batch_send: bool, predicate: bool
) -> None:
    """Replies to sends are lost and then the client dies mid-batch; a new process resumes from the journal.

    Without the on-chain predicate the journal alone must carry exactly-once.
    """
    path = tmp_path / "journal.jsonl"
    w3 = anvil_node.web3()
    nonce_before = w3.eth.get_transaction_count(SENDER.address)
    ops = register_ops(registry, 12)
    if not predicate:
        ops = [Op(op.id, op.build) for op in ops]

    def crash_at(count: int) -> None:
        # Sequential sends: die after the fifth; batched: after the second window's batch went out.
        if count == (2 if batch_send else 5):
            raise Crash

    faulty = FaultyHTTPProvider(anvil_node.url, faults=3, after_forward=crash_at)
    faulty_w3 = Web3(faulty)
    with Journal(path) as journal:
        sender = TxSender(faulty_w3, SENDER, expected_chain_id=31337, journal=journal, batch_send=batch_send)
        with pytest.raises(Crash):
            sender.run_ops(ops, window=8)
    assert faulty.injected >= 1
    if not batch_send:
        assert registry.functions.count().call() < 12  # the crash left work undone

    with Journal(path) as journal:
        in_flight = [op.id for op in ops if (h := journal.history(op.id)) is not None and h.in_flight]
        assert in_flight  # the journal knows transactions whose fate the dead process never learnt
        sender = TxSender(w3, SENDER, expected_chain_id=31337, journal=journal)
        report = sender.run_ops(ops)
    assert report.ok
    assert_exactly_once(w3, registry, 12, nonce_before)
    statuses = {r.op_id: r.status for r in report.results}
    assert {statuses[i] for i in in_flight} == {OpStatus.ALREADY_DONE}

    # A third run does nothing at all.
    with Journal(path) as journal:
        again = TxSender(w3, SENDER, expected_chain_id=31337, journal=journal).run_ops(ops)
    assert {r.status for r in again.results} == {OpStatus.ALREADY_DONE}
    assert_exactly_once(w3, registry, 12, nonce_before)


def test_lost_journal_falls_back_on_the_chain_predicate(anvil_node: Anvil, registry: Contract, tmp_path: Path) -> None:
    w3 = anvil_node.web3()
    ops = register_ops(registry, 4)
    with Journal(tmp_path / "first.jsonl") as journal:
        assert TxSender(w3, SENDER, journal=journal).run_ops(ops[:2]).ok
    # The journal is gone; the predicate still stops a second mint of the first two.
    with Journal(tmp_path / "second.jsonl") as journal:
        report = TxSender(w3, SENDER, journal=journal).run_ops(ops)
        assert [r.status for r in report.results] == [
            OpStatus.DONE_ELSEWHERE,
            OpStatus.DONE_ELSEWHERE,
            OpStatus.MINED,
            OpStatus.MINED,
        ]
        history = journal.history(ops[0].id)
        assert history is not None and history.done
    assert_exactly_once(w3, registry, 4, 0)


# ------------------------------------------------------------------------------------------------ node restart


def test_node_restart_mid_batch_exactly_once(compiled: dict[str, Compiled], tmp_path: Path) -> None:
    """The chain survives restarts through anvil's --state dump; a SIGKILL loses what was not dumped."""
    state = tmp_path / "state.json"
    path = tmp_path / "journal.jsonl"
    node = Anvil(state_path=state, state_interval=3600)
    node.start()
    try:
        w3 = node.web3()
        address = deploy(w3, dev_account(9), compiled["Registry"])
        registry = w3.eth.contract(address=Web3.to_checksum_address(address), abi=compiled["Registry"].abi)
        ops = register_ops(registry, 12)

        # Run A: the client dies after sending six transactions, before it saw a single receipt.
        def crash_after_six(count: int) -> None:
            if count == 6:
                raise Crash

        a_w3 = Web3(FaultyHTTPProvider(node.url, after_forward=crash_after_six))
        with Journal(path) as journal, pytest.raises(Crash):
            TxSender(a_w3, SENDER, expected_chain_id=31337, journal=journal, batch_send=False).run_ops(ops[:6])
        assert registry.functions.count().call() == 6
        node.stop()  # graceful: the six are dumped
        node.start()
        assert registry.functions.count().call() == 6

        # Run B: the resume records the six as mined; three more go out, then the node is SIGKILLed.
        def kill_after_three(count: int) -> None:
            if count == 3:
                node.kill()

        b_w3 = Web3(FaultyHTTPProvider(node.url, after_forward=kill_after_three))
        with Journal(path) as journal:
            b_sender = TxSender(b_w3, SENDER, expected_chain_id=31337, journal=journal, batch_send=False)
            with pytest.raises(SendUncertainError):
                b_sender.run_ops(ops)
            for op in ops[:6]:
                history = journal.history(op.id)
                assert history is not None and history.done  # found on chain, not re-sent
        node.start()
        assert registry.functions.count().call() == 6  # what B mined after the last dump is gone

        # Run C: everything B signed is re-broadcast byte for byte; nothing is built twice.
        with Journal(path) as journal:
            c_sender = TxSender(w3, SENDER, expected_chain_id=31337, journal=journal)
            report = c_sender.run_ops(ops)
            assert report.ok
            assert {r.status for r in report.results} == {OpStatus.ALREADY_DONE}
            for op in ops:
                history = journal.history(op.id)
                assert history is not None
                assert [a.state for a in history.attempts] == [TxState.MINED]
        assert_exactly_once(w3, registry, 12, 0)
    finally:
        node.kill()


def test_resume_refuses_a_journal_of_another_chain(tmp_path: Path, registry: Contract, anvil_node: Anvil) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append(
            JournalRecord(
                "register:x",
                TxState.SIGNED,
                tx_hash="0x" + "11" * 32,
                nonce=0,
                raw_tx="0x02",
                sender=SENDER.address,
                chain_id=1,
            )
        )
        sender = TxSender(anvil_node.web3(), SENDER, expected_chain_id=31337, journal=journal)
        with pytest.raises(JournalError, match="chain 1"):
            sender.run_ops(register_ops(registry, 1))
    assert registry.functions.count().call() == 0


def test_resume_refuses_tampered_raw_bytes(tmp_path: Path, registry: Contract, anvil_node: Anvil) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append(
            JournalRecord(
                "register:x",
                TxState.SIGNED,
                tx_hash="0x" + "11" * 32,
                nonce=0,
                raw_tx="0x02f8",
                sender=SENDER.address,
                chain_id=31337,
            )
        )
        sender = TxSender(anvil_node.web3(), SENDER, expected_chain_id=31337, journal=journal)
        with pytest.raises(JournalError, match="does not hash"):
            sender.run_ops(register_ops(registry, 1))
