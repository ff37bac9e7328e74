"""Minting a validated schedule: batches, idempotence, resumption; exactly one mint per claim through lost RPC
replies, a client crash mid-batch and a node restart (anvil ``--state``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from anvil import Anvil, FaultyHTTPProvider, dev_account
from eth_utils.crypto import keccak
from sdk_suite import RESTRICTED_COUNTRY, US, Suite, deploy
from web3 import Web3

from pyclaims import errors
from pyclaims.client import Client
from pyclaims.errors import MintingError
from pyclaims.minting import mint_schedule
from pyclaims.models import MintRequest
from pyclaims.schedule import COLUMNS, ValidationReport, parse_csv, render_csv_records
from pyclaims.tx import Journal, JournalRecord, SendUncertainError, TxState
from pyclaims.types import ClaimStatus, ClassScheme

pytestmark = pytest.mark.slow

HOLDERS = (1, 2, 3, 4)


class Crash(BaseException):
    """The client process dies (not an Exception: nothing catches it)."""


@pytest.fixture
def suite() -> Iterator[Suite]:
    with Anvil() as node:
        yield deploy(node)


def schedule(count: int, *, holders: tuple[int, ...] = HOLDERS, tag: str = "") -> bytes:
    """A CSV schedule of ``count`` claims of estate 1 spread over dev accounts (classes derived from amounts)."""
    records = []
    for i in range(count):
        holder = holders[i % len(holders)]
        records.append(
            {
                "claim_number": f"{tag}C-{i:04d}",
                "estate": "1",
                "creditor_wallet": dev_account(holder).address,
                "entity_id": str(100 + holder),
                "country": str(RESTRICTED_COUNTRY if holder == 4 else US),
                "allowed_amount_usd": f"{(i * 7919) % 90_000 + 1}.{i % 100:02d}",
                "class": "",
                "status": "",
                "evidence_hash": "0x" + keccak(text=f"evidence {i}").hex(),
            }
        )
    return render_csv_records(records, COLUMNS)


def validated(data: bytes) -> ValidationReport:
    return parse_csv(data, classes=ClassScheme.default(), restricted_countries={RESTRICTED_COUNTRY})


def prepare(suite: Suite) -> None:
    suite.onboard(1, 2, 3)
    suite.onboard(4, country=RESTRICTED_COUNTRY)
    suite.admin.set_restricted([RESTRICTED_COUNTRY])


def minted_refs(w3: Web3, token: str) -> Counter[bytes]:
    """How many ClaimMinted events each claim ref has, over the whole chain."""
    topic = keccak(text="ClaimMinted(uint256,uint32,address,bytes32,uint96,uint8,bytes32)")
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": token, "topics": [topic]})
    return Counter(bytes(log["data"][:32]) for log in logs)


def assert_exactly_once(suite: Suite, report: ValidationReport) -> None:
    counts = minted_refs(suite.w3, suite.deployment.token)
    for row in report.accepted:
        assert counts[row.claim_ref] == 1, row.claim_number
    assert sum(counts.values()) == report.accepted_count
    ids = suite.admin.claim_ids_of([r.claim_ref for r in report.accepted])
    claims = suite.admin.claims_of(ids)
    for row, claim in zip(report.accepted, claims, strict=True):
        assert (claim.holder, claim.amount, claim.status, claim.class_id) == (
            row.creditor_wallet,
            row.allowed_amount,
            row.status,
            row.class_id,
        )


def test_mints_a_schedule_in_batches_and_is_idempotent(suite: Suite, tmp_path: Path) -> None:
    prepare(suite)
    report = validated(schedule(23))
    assert report.ok and report.disputed_count > 0
    journal = tmp_path / "mint.jsonl"
    seen: list[tuple[int, int]] = []
    result = mint_schedule(
        suite.admin, report, journal_path=journal, batch_size=5, window=2, progress=lambda d, t: seen.append((d, t))
    )
    assert result.ok and len(result.minted) == 23 and not result.already_present
    assert result.transactions == 5 and result.gas_used > 0
    assert seen[0] == (0, 23) and seen[-1] == (23, 23) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert_exactly_once(suite, report)
    assert all(o.tx_hash is not None for o in result.minted)
    for class_id in {r.class_id for r in report.accepted}:
        rows = [r for r in report.accepted if r.class_id == class_id]
        totals = suite.admin.class_of(class_id)
        assert totals.claim_count == len(rows)
        assert totals.total_allowed == sum(r.allowed_amount for r in rows)
        assert totals.disputed_allowed == sum(r.allowed_amount for r in rows if r.status is ClaimStatus.Disputed)
    nonce = suite.w3.eth.get_transaction_count(dev_account(0).address)

    again = mint_schedule(suite.admin, report, journal_path=journal, batch_size=5)
    assert len(again.already_present) == 23 and again.transactions == 0
    assert [o.claim_id for o in again.already_present] == [o.claim_id for o in result.minted]
    # A lost journal: the chain alone still prevents a second mint.
    third = mint_schedule(suite.admin, report, journal_path=tmp_path / "other.jsonl", batch_size=7)
    assert len(third.already_present) == 23
    assert suite.w3.eth.get_transaction_count(dev_account(0).address) == nonce
    assert json.loads(json.dumps(result.as_dict()))["minted"] == 23


def test_a_bad_row_fails_alone_and_a_chunk_minted_elsewhere_is_re_split(suite: Suite, tmp_path: Path) -> None:
    prepare(suite)
    report = validated(schedule(12, holders=(1, 2, 3, 6)))  # account 6 was never attested
    assert report.ok
    # Two rows of the first chunk are minted elsewhere first (e.g. by mintBySig).

    suite.admin.define_class(1, 1)
    suite.admin.define_class(2, 1)
    outside = [report.accepted[0], report.accepted[2]]
    suite.admin.mint_batch([MintRequest.from_row(r) for r in outside])
    result = mint_schedule(suite.admin, report, journal_path=tmp_path / "j.jsonl", batch_size=4)
    assert {o.row.claim_number for o in result.already_present} == {r.claim_number for r in outside}
    failed = result.failed
    assert {o.row.claim_number for o in failed} == {r.claim_number for r in report.accepted if r.entity_id == 106}
    for outcome in failed:
        assert isinstance(outcome.error, errors.ClaimTokenNotAttested)
        assert outcome.error.wallet == dev_account(6).address
    assert len(result.minted) == 12 - 2 - len(failed)
    counts = minted_refs(suite.w3, suite.deployment.token)
    assert all(counts[r.claim_ref] == 1 for r in report.accepted if r.entity_id != 106)
    # Once the holder is onboarded, a rerun with the same journal mints exactly the failed rows.
    suite.onboard(6)
    rerun = mint_schedule(suite.admin, report, journal_path=tmp_path / "j.jsonl", batch_size=4)
    assert {o.row.claim_number for o in rerun.minted} == {o.row.claim_number for o in failed}
    assert_exactly_once(suite, report)


def test_refusals_before_anything_is_signed(suite: Suite, tmp_path: Path) -> None:
    report = validated(schedule(3))
    journal = tmp_path / "j.jsonl"
    with Journal(journal) as j:
        j.append(JournalRecord("schedule:" + "ab" * 32, TxState.DONE))
    with pytest.raises(MintingError, match="belongs to schedule"):
        mint_schedule(suite.admin, report, journal_path=journal)
    with pytest.raises(MintingError, match="ValidationReport"):
        mint_schedule(suite.admin, list(report.accepted), journal_path=tmp_path / "x.jsonl")  # type: ignore[arg-type]
    broken = parse_csv(b"not,a,schedule\n1,2,3\n")
    assert not broken.accepted
    with pytest.raises(MintingError, match="rejected"):
        mint_schedule(suite.admin, broken, journal_path=tmp_path / "y.jsonl")
    assert suite.w3.eth.get_transaction_count(dev_account(0).address) == 9  # the deploy's transactions only


def test_lost_replies_then_a_crash_mid_batch_resume_exactly_once(suite: Suite, tmp_path: Path) -> None:
    """Replies to sends are lost (the node got them), then the client dies mid-batch; a new process resumes."""
    prepare(suite)
    report = validated(schedule(30))
    journal = tmp_path / "mint.jsonl"
    nonce_before = suite.w3.eth.get_transaction_count(dev_account(0).address)

    def crash_at(count: int) -> None:
        # Batches of sends: 1 = the two classes, 2 and 3 = windows of two chunks. Die as the third goes out.
        if count == 3:
            raise Crash

    faulty = FaultyHTTPProvider(suite.node.url, faults=2, after_forward=crash_at)
    client = Client.connect(Web3(faulty), suite.deployment, account=dev_account(0))
    with pytest.raises(Crash):
        mint_schedule(client, report, journal_path=journal, batch_size=4, window=2)
    assert faulty.injected == 2
    partial = sum(1 for i in suite.admin.claim_ids_of([r.claim_ref for r in report.accepted]) if i)
    assert 0 < partial < 30
    with Journal(journal) as j:
        assert any((h := j.history(op)) is not None and h.in_flight for op in j.op_ids())

    fresh = Client.connect(suite.node.url, suite.deployment, account=dev_account(0))
    result = mint_schedule(fresh, report, journal_path=journal, batch_size=4, window=2)
    assert result.ok and len(result.minted) + len(result.already_present) == 30
    assert_exactly_once(suite, report)
    # No transaction was ever sent twice for one chunk: 2 classes + 8 chunks.
    assert suite.w3.eth.get_transaction_count(dev_account(0).address) == nonce_before + 2 + 8
    with Journal(journal) as j:
        for op in j.op_ids():
            history = j.history(op)
            assert history is not None and history.done
            assert [a.state for a in history.attempts] in ([], [TxState.MINED])


def test_node_restart_mid_batch_exactly_once(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    journal = tmp_path / "mint.jsonl"
    node = Anvil(state_path=state, state_interval=3600)
    node.start()
    try:
        suite = deploy(node)
        prepare(suite)
        report = validated(schedule(24))
        node.stop()  # graceful: the suite and the onboarding are dumped
        node.start()

        def kill_after(count: int) -> None:
            if count == 3:
                node.kill()  # SIGKILL: whatever was mined since the last dump is lost

        client = Client.connect(
            Web3(FaultyHTTPProvider(node.url, after_forward=kill_after)), suite.deployment, account=dev_account(0)
        )
        with pytest.raises(
            (SendUncertainError, requests.ConnectionError)
        ):  # a send or a receipt poll hits the dead node
            mint_schedule(client, report, journal_path=journal, batch_size=3, window=2)
        node.start()
        assert minted_refs(suite.w3, suite.deployment.token).total() == 0  # every mint was lost with the node

        fresh = Client.connect(node.url, suite.deployment, account=dev_account(0))
        result = mint_schedule(fresh, report, journal_path=journal, batch_size=3, window=2)
        assert result.ok and len(result.minted) == 24
        assert_exactly_once(suite, report)
        with Journal(journal) as j:
            # Transactions journaled as mined before the kill were lost with the node's state: those operations ran
            # again under their next generation id, once.
            assert any(op.endswith("#2") for op in j.op_ids())
            for op in j.op_ids():
                history = j.history(op)
                assert history is not None and history.done
                mined = [a for a in history.attempts if a.state is TxState.MINED]
                assert len(mined) <= 1
    finally:
        node.kill()
