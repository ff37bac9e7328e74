"""Minting a validated claims schedule: in batches, idempotently, resumably: exactly one mint per claim.

:func:`mint_schedule` takes the :class:`~pyclaims.schedule.ValidationReport` of a schedule file (never raw
rows: nothing is minted from a file whose report was not produced) and mints its accepted rows:

1. The journal (``journal_path``, a :class:`~pyclaims.tx.Journal`) is bound to the file: its first record is
   ``schedule:<sha256 of the file>``; a journal of another file is refused (:class:`~pyclaims.errors.MintingError`).
2. Classes the rows use are defined when missing (op ``class:<id>``, done when ``classOf(id).defined``).
3. The accepted rows, in file order, are cut into chunks of ``batch_size`` (the same boundaries on every run
   of the same file); a chunk is one ``mintBatch`` transaction with the deterministic op id
   ``mint-batch:0x<keccak256 of the chunk's claim refs>`` and the on-chain predicate "every ref of the chunk
   has a claim id". Its transaction is built from the refs *not yet minted*, looked up on chain when it is
   built: ``mintBatch`` is all or nothing and reverts ``ClaimTokenClaimExists`` on a duplicate, so a chunk
   partly minted elsewhere is re-split to the rest. A chunk the journal records as mined but the chain lost
   (a node restarted from an older state) runs again under its next generation id (``...#2``, see
   :mod:`pyclaims._ops`).
4. Chunks run pipelined through :meth:`~pyclaims.tx.TxSender.run_ops` (``window`` transactions in flight):
   before anything new is signed, every transaction an earlier, interrupted run left in the journal is settled
   (found mined, waited for, or re-broadcast byte for byte), so a lost RPC reply, a crash or a node restart
   mid-batch never leads to a second transaction for a chunk.
5. A chunk that fails (a bad holder, say) is re-split into one ``mint`` per remaining row (op
   ``mint:0x<claimRef>``, predicate ``claimIdOf(ref) != 0``), so one bad row never blocks the good ones and its
   own error is reported.

The result is a :class:`MintReport`: per row, minted (by this call, or by an interrupted earlier call whose
transactions it settled), already present when the call started, or failed with its decoded error.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from eth_utils.crypto import keccak

from pyclaims._ops import current_op, fit_window
from pyclaims.client import Client
from pyclaims.errors import MintingError, PyclaimsError
from pyclaims.models import MintRequest
from pyclaims.schedule import FILE_ROW, ScheduleRow, ValidationReport
from pyclaims.tx import Journal, JournalRecord, Op, OpStatus, RunReport, TxSender, TxState

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MintOutcome",
    "MintReport",
    "MintStatus",
    "Progress",
    "mint_schedule",
]

DEFAULT_BATCH_SIZE = 50
"""Claims per ``mintBatch`` transaction (about 6-7 M gas: well inside a 30 M block)."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: rows settled so far out of the accepted rows (for a progress bar)."""


class MintStatus(enum.StrEnum):
    """What happened to one accepted row."""

    MINTED = "minted"
    """Minted by this call (or by an interrupted earlier call whose transactions this call settled)."""
    PRESENT = "present"
    """The claim reference already had a claim when the call started."""
    FAILED = "failed"
    """Not minted: see :attr:`MintOutcome.error`."""


@dataclass(frozen=True)
class MintOutcome:
    """One accepted row's outcome.

    Attributes:
        row: the schedule row.
        status: :class:`MintStatus`.
        claim_id: its claim id (``None`` when failed).
        tx_hash: the transaction that minted it, when this call knows it.
        error: why it failed.
    """

    row: ScheduleRow
    status: MintStatus
    claim_id: int | None
    tx_hash: str | None = None
    error: PyclaimsError | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "row": self.row.row,
            "claim_number": self.row.claim_number,
            "claim_ref": "0x" + self.row.claim_ref.hex(),
            "status": self.status.value,
            "claim_id": self.claim_id,
            "tx_hash": self.tx_hash,
            "error": None if self.error is None else str(self.error),
        }


@dataclass(frozen=True)
class MintReport:
    """What :func:`mint_schedule` did.

    Attributes:
        digest: the schedule file's SHA-256 (the report's).
        outcomes: one per accepted row, in file order.
        transactions: mint transactions mined by this call (chunks and single mints).
        gas_used: their total gas.
    """

    digest: str
    outcomes: tuple[MintOutcome, ...]
    transactions: int
    gas_used: int

    def _with(self, status: MintStatus) -> tuple[MintOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is status)

    @property
    def minted(self) -> tuple[MintOutcome, ...]:
        """Rows minted by this call."""
        return self._with(MintStatus.MINTED)

    @property
    def already_present(self) -> tuple[MintOutcome, ...]:
        """Rows whose claim existed when the call started."""
        return self._with(MintStatus.PRESENT)

    @property
    def failed(self) -> tuple[MintOutcome, ...]:
        """Rows not minted."""
        return self._with(MintStatus.FAILED)

    @property
    def ok(self) -> bool:
        """Every accepted row has its claim."""
        return not self.failed

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary with every failure."""
        return {
            "sha256": self.digest,
            "minted": len(self.minted),
            "already_present": len(self.already_present),
            "failed": len(self.failed),
            "transactions": self.transactions,
            "gas_used": self.gas_used,
            "failures": [o.as_dict() for o in self.failed],
        }


def _schedule_op(digest: str) -> str:
    return f"schedule:{digest}"


def _bind_journal(journal: Journal, report: ValidationReport) -> None:
    """Refuse a journal of another schedule file; record this file's digest in a new one."""
    bound = [op for op in journal.op_ids() if op.startswith("schedule:")]
    mine = _schedule_op(report.digest)
    others = [op for op in bound if op != mine]
    if others:
        raise MintingError(
            f"journal {journal.path} belongs to schedule sha256 {others[0].split(':', 1)[1]}, not {report.digest}: "
            "use one journal per schedule file"
        )
    if mine not in bound:
        note = f"{report.source_format} schedule, {report.rows_total} rows, {report.accepted_count} accepted"
        journal.append(JournalRecord(mine, TxState.DONE, note=note))


def _chunk_id(refs: Sequence[bytes]) -> str:
    return "mint-batch:0x" + keccak(b"".join(refs)).hex()


def mint_schedule(
    client: Client,
    report: ValidationReport,
    *,
    journal_path: str | PathLike[str],
    batch_size: int = DEFAULT_BATCH_SIZE,
    window: int = 8,
    define_classes: bool = True,
    progress: Progress | None = None,
) -> MintReport:
    """Mint every accepted row of a validated schedule exactly once (see the module docstring).

    Args:
        client: a client whose account holds ``VALIDATOR_ROLE``.
        report: the schedule's :class:`~pyclaims.schedule.ValidationReport` (rejected rows are not minted).
        journal_path: the journal file of this schedule (created when missing; reuse it to resume).
        batch_size: claims per ``mintBatch``.
        window: chunk transactions in flight at once.
        define_classes: define classes the rows use that the token does not know yet.
        progress: called with ``(rows settled, rows to mint)`` after each window.

    Raises:
        MintingError: the report rejected the file itself, or the journal belongs to another file. Nothing was
            signed.
        TxError: the node became unreachable (run again with the same journal: nothing is minted twice).
    """
    if not isinstance(report, ValidationReport):
        raise MintingError(f"report: expected the ValidationReport of the schedule file, got {type(report).__name__}")
    if any(e.row == FILE_ROW for e in report.rejected):
        raise MintingError(f"the schedule file itself was rejected ({report.errors_for(FILE_ROW)[0]}): nothing to mint")
    if batch_size < 1:
        raise ValueError(f"batch_size: must be >= 1, got {batch_size}")
    if window < 1:
        raise ValueError(f"window: must be >= 1, got {window}")
    rows = list(report.accepted)
    refs = [r.claim_ref for r in rows]
    if len(set(refs)) != len(refs):
        raise MintingError("the report has two rows with the same claim reference (not a validated report?)")
    # Chunk boundaries over every accepted row, in file order: the same file gives the same op ids on every run.
    chunks = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    chunk_ops = [_chunk_op(client, chunk) for chunk in chunks]
    single_ops = {row.claim_ref: _single_op(client, row) for row in rows}
    with Journal(journal_path) as journal:
        _bind_journal(journal, report)
        before = client.claim_ids_of(refs) if refs else []
        sender = client.tx_sender(journal=journal)
        # Settle what an interrupted run left in flight before looking at the chain again.
        sender.resume([*chunk_ops, *single_ops.values()])
        if define_classes:
            _define_classes(client, sender, journal, rows)
        now = dict(zip(refs, client.claim_ids_of(refs), strict=True)) if refs else {}
        tx_of: dict[bytes, str] = {}
        errors: dict[bytes, PyclaimsError] = {}
        mined = _Counter()
        pending = [
            (c, current_op(journal, client.w3, op, done_on_chain=False))
            for c, op in zip(chunks, chunk_ops, strict=True)
            if any(now[r.claim_ref] == 0 for r in c)
        ]
        done_rows = len(rows) - sum(len(c) for c, _ in pending)
        if progress is not None:
            progress(done_rows, len(rows))
        window = fit_window(sender, pending[0][1], window) if pending else window
        for start in range(0, len(pending), window):
            group = pending[start : start + window]
            result = sender.run_ops([op for _, op in group], window=window)
            mined.add(result)
            failed_rows: list[ScheduleRow] = []
            for chunk, op in group:
                outcome = result.by_id()[op.id]
                if outcome.status is OpStatus.FAILED:
                    failed_rows.extend(chunk)
                elif outcome.tx_hash is not None:
                    for row in chunk:
                        tx_of.setdefault(row.claim_ref, outcome.tx_hash.to_0x_hex())
            if failed_rows:
                _mint_singly(
                    client,
                    sender,
                    [single_ops[r.claim_ref] for r in failed_rows],
                    failed_rows,
                    window,
                    tx_of,
                    errors,
                    mined,
                )
            done_rows += sum(len(c) for c, _ in group)
            if progress is not None:
                progress(done_rows, len(rows))
        after = client.claim_ids_of(refs) if refs else []
    outcomes: list[MintOutcome] = []
    for row, claim_before, claim_id in zip(rows, before, after, strict=True):
        ref = row.claim_ref
        if claim_before != 0:
            outcomes.append(MintOutcome(row, MintStatus.PRESENT, claim_before))
        elif claim_id != 0:
            outcomes.append(MintOutcome(row, MintStatus.MINTED, claim_id, tx_of.get(ref)))
        else:
            error = errors.get(ref) or MintingError("not minted (no transaction took effect)")
            outcomes.append(MintOutcome(row, MintStatus.FAILED, None, None, error))
    return MintReport(report.digest, tuple(outcomes), mined.transactions, mined.gas)


class _Counter:
    def __init__(self) -> None:
        self.transactions = 0
        self.gas = 0

    def add(self, report: RunReport) -> None:
        for result in report.results:
            if result.status is OpStatus.MINED and result.receipt is not None:
                self.transactions += 1
                self.gas += int(result.receipt["gasUsed"])


def _define_classes(client: Client, sender: TxSender, journal: Journal, rows: Iterable[ScheduleRow]) -> None:
    wanted: dict[int, int] = {}
    for row in rows:
        wanted.setdefault(row.class_id, row.claim_class.estate_id)
    if not wanted:
        return

    def op(class_id: int, estate_id: int) -> Op:
        return Op(
            f"class:{class_id}",
            build=lambda: client.tx_request("ClaimToken", "defineClass", class_id, estate_id),
            is_done=lambda: client.class_of(class_id).defined,
        )

    defined = {c: client.class_of(c).defined for c in wanted}
    ops = [current_op(journal, client.w3, op(c, e), done_on_chain=defined[c]) for c, e in sorted(wanted.items())]
    result = sender.run_ops(ops)
    for failure in result.failed:
        raise MintingError(f"{failure.op_id}: could not define the class: {_reason(failure.error)}")
    for class_id, estate_id in wanted.items():
        totals = client.class_of(class_id)
        if totals.estate_id != estate_id:
            raise MintingError(
                f"class {class_id} is defined on chain for estate {totals.estate_id}, the schedule says {estate_id}"
            )


def _reason(error: Exception | None) -> Exception | str:
    decoded = getattr(error, "decoded", None)
    return decoded if isinstance(decoded, Exception) else (error or "unknown")


def _chunk_op(client: Client, chunk: Sequence[ScheduleRow]) -> Op:
    refs = [r.claim_ref for r in chunk]
    requests = [MintRequest.from_row(r) for r in chunk]

    def remaining() -> list[MintRequest]:
        ids = client.claim_ids_of(refs)
        return [req for req, claim_id in zip(requests, ids, strict=True) if claim_id == 0]

    def build() -> dict[str, Any]:
        left = remaining()
        if len(left) == 1:
            return client.tx_request("ClaimToken", "mint", left[0].as_tuple())
        return client.tx_request("ClaimToken", "mintBatch", [r.as_tuple() for r in left])

    return Op(_chunk_id(refs), build=build, is_done=lambda: not remaining())


def _single_op(client: Client, row: ScheduleRow) -> Op:
    request = MintRequest.from_row(row)
    ref = row.claim_ref

    def build() -> dict[str, Any]:
        return client.tx_request("ClaimToken", "mint", request.as_tuple())

    def is_done() -> bool:
        return client.claim_id_of(ref) != 0

    return Op(f"mint:0x{ref.hex()}", build=build, is_done=is_done)


def _mint_singly(
    client: Client,
    sender: TxSender,
    ops: Sequence[Op],
    rows: Sequence[ScheduleRow],
    window: int,
    tx_of: dict[bytes, str],
    errors: dict[bytes, PyclaimsError],
    mined: _Counter,
) -> None:
    """Mint the rows of failed chunks one by one, so each bad row fails alone with its own error."""
    assert sender.journal is not None
    ids = client.claim_ids_of([r.claim_ref for r in rows])
    ops = [
        current_op(sender.journal, client.w3, op, done_on_chain=claim_id != 0)
        for op, claim_id in zip(ops, ids, strict=True)
    ]
    result = sender.run_ops(ops, window=window)
    mined.add(result)
    for row, op in zip(rows, ops, strict=True):
        outcome = result.by_id()[op.id]
        if outcome.status is OpStatus.FAILED:
            reason = _reason(outcome.error)
            errors[row.claim_ref] = reason if isinstance(reason, PyclaimsError) else MintingError(str(reason))
        elif outcome.tx_hash is not None:
            tx_of[row.claim_ref] = outcome.tx_hash.to_0x_hex()
