"""The ``pyclaims`` command line: every step of the process, scriptable.

::

    pyclaims [--rpc-url URL] [--deployment PATH|NETWORK] [--key-env NAME | --key-file PATH] [--json] COMMAND

    deploy                          deploy the suite (MockUSDC on a local node) and write the deployment file
    attest issue|sign|submit|revoke|show|restrict
                                    identity: attest a wallet, sign an attestation offline (the verifier), submit
                                    a signed one (anyone), revoke, read; manage restricted jurisdictions
    validate FILE                   validate a claims schedule (CSV/JSON): exit 2 when rows are rejected
    mint FILE --journal PATH        validate, then mint the accepted rows (batched, journaled, resumable)
    offer create|sign|show|cancel   offers as JSON documents (pyclaims.offers)
    settle fill|deposit|withdraw    fill offer documents (one, or many in one batch); escrow for bids
    round plan|declare|pay|resolve|reconcile|show
                                    distribution rounds
    value                           the value of holding a claim, next to an offer
    status [WALLET]                 a wallet's attestation, claims, balance, deposits; the rounds

Conventions:

- The signing key never appears on the command line: ``--key-env NAME`` names an environment variable that
  holds it (default ``PYCLAIMS_KEY``), ``--key-file PATH`` a file (mode 600).
- ``--rpc-url`` defaults to ``$PYCLAIMS_RPC_URL``, then ``http://127.0.0.1:8545``; ``--deployment`` to
  ``$PYCLAIMS_DEPLOYMENT``, then ``local`` (``deployments/ethereum-local.json``).
- Money on the command line is US dollars as text (``1234.56``, at most 6 decimals); rates are ``72%`` or ppm.
  ``--json`` output carries amounts as decimal strings of base units (1 USD = 1,000,000); text output uses
  ``Decimal`` for display only.
- Errors are one line, ``error: ...``, naming the field or the problem. Exit codes: 0 success; 2 bad input
  (a malformed file or argument, a rejected schedule, a refused confirmation); 1 a chain or transaction failure
  (unreachable node, revert, wrong chain).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

import click
import requests
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from pyclaims import __version__
from pyclaims._cliutil import (
    ADDRESS,
    DATE,
    RATE,
    ROUND,
    USD,
    KeySource,
    RateType,
    UsdType,
    check_key_env_name,
    check_key_file,
    dumps,
    load_key,
)
from pyclaims.client import Client, sign_attestation
from pyclaims.deployments import Deployment, deploy_suite, deployment_path, role_id
from pyclaims.distributions import RoundPlan, declare, pay_round, plan_round, reconcile, resolve
from pyclaims.errors import ContractError, PyclaimsError
from pyclaims.models import ATTESTATION_FLAGS, Claim, Receipt, SettlementRecord, SignedAttestation
from pyclaims.offers import (
    OfferError,
    Order,
    SignedOrder,
    ask,
    bid_for_claim,
    class_bid,
    from_json,
    payment_for,
    sign_order,
    verify_order,
)
from pyclaims.readmodels import ChainView, RoundStatus
from pyclaims.schedule import ValidationReport, read_schedule
from pyclaims.settlement import ensure_allowance, fill, fill_many, withdraw_bid
from pyclaims.tx import TxSender
from pyclaims.types import (
    DEFAULT_CONVENIENCE_THRESHOLD,
    RATE_SCALE,
    UINT32_MAX,
    ClassScheme,
    Side,
    format_usd,
)
from pyclaims.valuation import ExpectedRound, HoldingInputs, HoldingValue, compare_offer, value_holding

__all__ = ["cli", "main"]

DEFAULT_RPC_URL: Final = "http://127.0.0.1:8545"
ATTESTATION_FORMAT: Final = "pyclaims.attestation"
DRAFT_FORMAT: Final = "pyclaims.order-draft"
_ZERO: Final = "0x0000000000000000000000000000000000000000"
_ORDER_KEYS: Final = (
    ("maker", "maker"),
    ("taker", "taker"),
    ("side", "side"),
    ("classId", "class_id"),
    ("claimId", "claim_id"),
    ("price", "price"),
    ("maxAmount", "max_amount"),
    ("expiry", "expiry"),
    ("counter", "counter"),
    ("salt", "salt"),
)

F = TypeVar("F", bound=Callable[..., Any])


# ------------------------------------------------------------------------------------------------ errors


class CliError(click.ClickException):
    """A one-line ``error: ...`` with the exit code for its kind (2 bad input, 1 chain/transaction failure)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def _bad(message: str) -> NoReturn:
    raise CliError(message, 2)


def _exit_code(exc: BaseException) -> int:
    """2 for bad input (every ``ValueError``-derived SDK error: schedules, offers, amounts, deployments...),
    1 for chain and transaction failures (reverts, wrong chain or code, sending, RPC)."""
    return 2 if isinstance(exc, ValueError) else 1


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, ContractError):
        text = f"the contract reverted: {text}"
        tx_hash = getattr(exc, "tx_hash", None)
        if tx_hash:
            text += f" (transaction {tx_hash})"
    return " ".join(text.split())


class _Group(click.Group):
    """Turns every SDK error, and an unreachable node, into one ``error:`` line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except PyclaimsError as exc:
            raise CliError(_message(exc), _exit_code(exc)) from exc
        except (requests.ConnectionError, requests.Timeout, ConnectionError) as exc:
            url = ctx.obj.rpc_url if isinstance(ctx.obj, Session) else "the node"
            raise CliError(f"cannot reach the node at {url} ({type(exc).__name__}); is it running?", 1) from exc
        except OSError as exc:
            raise CliError(f"{exc.filename or 'file'}: {exc.strerror or exc}", 2) from exc


# ------------------------------------------------------------------------------------------------ session


@dataclass
class Session:
    """The global options, and the connection and key they lead to (created on first use)."""

    rpc_url: str
    deployment_ref: str
    key: KeySource
    as_json: bool = False
    _deployment: Deployment | None = None
    _account: LocalAccount | None = None
    _clients: dict[bool, Client] = field(default_factory=dict)

    def deployment(self) -> Deployment:
        """The deployment file (a path or a network name)."""
        if self._deployment is None:
            self._deployment = Deployment.load(self.deployment_ref)
        return self._deployment

    def account(self) -> LocalAccount:
        """The signing key (from the environment variable or the key file)."""
        if self._account is None:
            self._account = load_key(self.key)
        return self._account

    def has_key(self) -> bool:
        """Whether a key source is configured and present (without failing when it is not)."""
        if self.key.file is not None:
            return True
        return bool(os.environ.get(self.key.env or "PYCLAIMS_KEY"))

    def w3(self) -> Web3:
        """A web3 connection to ``--rpc-url`` (not verified)."""
        return Web3(HTTPProvider(self.rpc_url, request_kwargs={"timeout": 60}))

    def client(self, *, signing: bool = True) -> Client:
        """A verified client (chain id and contract code checked before any key is used)."""
        if signing not in self._clients:
            account = self.account() if signing else None
            self._clients[signing] = Client.connect(self.rpc_url, self.deployment(), account=account)
        return self._clients[signing]

    def reader(self) -> Client:
        """A client that may not sign (uses the signing client when one exists already)."""
        return self._clients.get(True) or self.client(signing=False)

    def emit(self, data: Any, text: str | Callable[[], str]) -> None:
        """Print ``data`` as JSON with ``--json``, else the text."""
        if self.as_json:
            click.echo(dumps(data))
        else:
            click.echo(text() if callable(text) else text)

    def note(self, text: str) -> None:
        """A progress note on stderr (kept off stdout so ``--json`` output stays parseable)."""
        click.echo(text, err=True)


pass_session = click.make_pass_decorator(Session)


def json_option(func: F) -> F:
    """``--json`` on a command (the same as the global ``--json``)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        if value:
            ctx.find_object(Session).as_json = True  # type: ignore[union-attr]  # the group always sets it
        return value

    return click.option(
        "--json",
        "json_flag",
        is_flag=True,
        expose_value=False,
        callback=callback,
        help="Print JSON (amounts as decimal strings of base units).",
    )(func)


def _usd(base_units: int) -> str:
    return format_usd(base_units)


def _pct(ppm: int) -> str:
    return f"{ppm / 10_000:g}%"


def _receipt_data(receipt: Receipt) -> dict[str, Any]:
    return {"tx_hash": receipt.tx_hash, "block": receipt.block_number, "gas_used": receipt.gas_used}


# ------------------------------------------------------------------------------------------------ the group


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--rpc-url",
    envvar="PYCLAIMS_RPC_URL",
    default=DEFAULT_RPC_URL,
    show_default=True,
    help="JSON-RPC URL of the node (env PYCLAIMS_RPC_URL).",
)
@click.option(
    "--deployment",
    "deployment_ref",
    envvar="PYCLAIMS_DEPLOYMENT",
    default="local",
    show_default=True,
    help="Deployment file path, or network name under deployments/ (env PYCLAIMS_DEPLOYMENT).",
)
@click.option(
    "--key-env",
    callback=check_key_env_name,
    metavar="NAME",
    help="Name of the environment variable holding the signing key (default PYCLAIMS_KEY). Never the key itself.",
)
@click.option(
    "--key-file",
    callback=check_key_file,
    metavar="PATH",
    help="File holding the signing key (64 hex digits; chmod 600).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (amounts as decimal strings of base units).")
@click.version_option(__version__, prog_name="pyclaims")
@click.pass_context
def cli(
    ctx: click.Context, rpc_url: str, deployment_ref: str, key_env: str | None, key_file: Path | None, as_json: bool
) -> None:
    """pyclaims: bankruptcy claims as compliance-gated tokens, sold atomically against USDC at zero fee."""
    if key_env is not None and key_file is not None:
        raise click.UsageError("--key-env and --key-file are mutually exclusive")
    ctx.obj = Session(rpc_url, deployment_ref, KeySource(key_env, key_file), as_json)


# ================================================================================================ deploy


def _parse_roles(values: Sequence[str]) -> dict[str, list[str]]:
    roles: dict[str, list[str]] = {}
    for value in values:
        name, sep, address = value.partition("=")
        if not sep:
            _bad(f"--role: {value!r} is not ROLE=ADDRESS")
        try:
            role_id(name)
        except ValueError as exc:
            _bad(f"--role: {exc}")
        key = name.strip().upper()
        key = key if key.endswith("_ROLE") else key + "_ROLE"
        roles.setdefault(key, []).append(ADDRESS.convert(address, None, None))
    return roles


@cli.command()
@click.option("--network", default="local", show_default=True, help="Network name recorded in the file.")
@click.option("--ecosystem", default="ethereum", show_default=True)
@click.option("--stablecoin", type=ADDRESS, default=None, help="The stablecoin (default on local: deploy MockUSDC).")
@click.option("--role", "roles", multiple=True, metavar="ROLE=ADDRESS", help="Grant a role (repeatable).")
@click.option(
    "--save",
    "save_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the deployment (default deployments/<ecosystem>-<network>.json).",
)
@click.option("--force", is_flag=True, help="Deploy again even when the recorded deployment is live.")
@json_option
@pass_session
def deploy(
    s: Session,
    network: str,
    ecosystem: str,
    stablecoin: str | None,
    roles: tuple[str, ...],
    save_to: Path | None,
    force: bool,
) -> None:
    """Deploy the suite from the SDK's shipped bytecode and record it (reuses a live recorded one)."""
    target = save_to or deployment_path(network, ecosystem=ecosystem)
    previous = None
    if not force and target.exists():
        previous = Deployment.load(target)
    w3 = s.w3()
    sender = TxSender(w3, s.account(), expected_chain_id=int(w3.eth.chain_id))
    deployment = deploy_suite(
        w3,
        sender,
        stablecoin=stablecoin,
        local=network == "local",
        roles=_parse_roles(roles),
        ecosystem=ecosystem,
        network=network,
        previous=previous,
        save_to=target,
    )
    reused = previous is not None and previous.token == deployment.token
    data = {"reused": reused, "path": str(target), "chain_id": deployment.chain_id, **deployment.addresses}
    s.emit(
        data,
        lambda: "\n".join(
            [
                f"{'reused' if reused else 'deployed'} on chain {deployment.chain_id}; recorded in {target}",
                *(f"  {k:<12} {v}" for k, v in deployment.addresses.items()),
            ]
        ),
    )


# ================================================================================================ attest


@cli.group()
def attest() -> None:
    """Identity: attest wallets, sign attestations offline, revoke, read; restricted jurisdictions."""


def _flags(values: Sequence[str]) -> int:
    bits = 0
    for value in values:
        bit = ATTESTATION_FLAGS.get(value.strip().lower().replace("-", "_"))
        if bit is None:
            _bad(f"--flag: unknown flag {value!r} (known: {', '.join(ATTESTATION_FLAGS)})")
        bits |= bit
    return bits


def _expiry(expires: dt.date | None, days: int | None) -> int:
    if expires is not None and days is not None:
        _bad("--expires and --days: give one of them")
    date = expires or dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days if days is not None else 365)
    stamp = int(dt.datetime.combine(date, dt.time(), tzinfo=dt.UTC).timestamp())
    if stamp <= int(dt.datetime.now(dt.UTC).timestamp()):
        _bad(f"--expires: {date} is not in the future")
    return stamp


def _identity_options(func: F) -> F:
    for decorator in reversed(
        [
            click.argument("wallet", type=ADDRESS),
            click.option(
                "--entity",
                "entity_id",
                type=click.IntRange(1, 2**64 - 1),
                required=True,
                help="The creditor entity id (one entity may hold several wallets).",
            ),
            click.option(
                "--country", type=click.IntRange(1, 999), required=True, help="ISO 3166-1 numeric country code."
            ),
            click.option("--expires", type=DATE, default=None, help="Expiry date (YYYY-MM-DD or +DAYS)."),
            click.option(
                "--days", type=click.IntRange(1, 36_500), default=None, help="Expiry in days from today (default 365)."
            ),
            click.option("--flag", "flags", multiple=True, help=f"Flags: {', '.join(ATTESTATION_FLAGS)}."),
        ]
    ):
        func = decorator(func)
    return func


@attest.command("issue")
@_identity_options
@json_option
@pass_session
def attest_issue(
    s: Session,
    wallet: str,
    entity_id: int,
    country: int,
    expires: dt.date | None,
    days: int | None,
    flags: tuple[str, ...],
) -> None:
    """Write WALLET's attestation on chain (the key holds VERIFIER_ROLE)."""
    receipt = s.client().attest(
        wallet, entity_id=entity_id, country=country, expiry=_expiry(expires, days), flags=_flags(flags)
    )
    s.emit({"wallet": wallet, **_receipt_data(receipt)}, f"attested {wallet} (tx {receipt.tx_hash})")


def _attestation_doc(signed: SignedAttestation) -> dict[str, Any]:
    return {
        "format": ATTESTATION_FORMAT,
        "version": 1,
        "chainId": str(signed.chain_id),
        "token": signed.token,
        "request": {
            "wallet": signed.wallet,
            "entityId": str(signed.entity_id),
            "country": str(signed.country),
            "expiry": str(signed.expiry),
            "flags": str(signed.flags),
            "nonce": str(signed.nonce),
            "deadline": str(signed.deadline),
        },
        "signature": "0x" + signed.signature.hex(),
    }


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        _bad(f"{path}: not UTF-8 text")
    except json.JSONDecodeError as exc:
        _bad(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})")
    if not isinstance(data, dict):
        _bad(f"{path}: expected a JSON object ({what})")
    return data


def _attestation_from_doc(path: Path) -> SignedAttestation:
    data = _read_json(path, "an attestation document")
    if data.get("format") != ATTESTATION_FORMAT or data.get("version") != 1:
        _bad(f"{path}: format: expected {ATTESTATION_FORMAT!r} version 1")
    request = data.get("request")
    if not isinstance(request, dict):
        _bad(f"{path}: request: expected a JSON object")

    def integer(key: str) -> int:
        value = request.get(key)
        if not isinstance(value, str) or not value.isdigit():
            _bad(f"{path}: request.{key}: expected a decimal string, got {value!r}")
        return int(value)

    try:
        signature = bytes.fromhex(str(data.get("signature", ""))[2:])
    except ValueError:
        _bad(f"{path}: signature: not hex")
    if len(signature) != 65:
        _bad(f"{path}: signature: expected 65 bytes, got {len(signature)}")
    chain = data.get("chainId")
    if not isinstance(chain, str) or not chain.isdigit():
        _bad(f"{path}: chainId: expected a decimal string")
    return SignedAttestation(
        wallet=ADDRESS.convert(request.get("wallet", ""), None, None),
        entity_id=integer("entityId"),
        country=integer("country"),
        expiry=integer("expiry"),
        flags=integer("flags"),
        nonce=integer("nonce"),
        deadline=integer("deadline"),
        signature=signature,
        chain_id=int(chain),
        token=ADDRESS.convert(data.get("token", ""), None, None),
    )


@attest.command("sign")
@_identity_options
@click.option(
    "--nonce",
    type=click.IntRange(0, UINT32_MAX),
    default=None,
    help="The wallet's attestation nonce (default: read from the chain; give it to sign fully offline).",
)
@click.option(
    "--valid-hours",
    type=click.IntRange(1, 24 * 90),
    default=72,
    show_default=True,
    help="How long anyone may submit it.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the signed document here (default: print it).",
)
@pass_session
def attest_sign(
    s: Session,
    wallet: str,
    entity_id: int,
    country: int,
    expires: dt.date | None,
    days: int | None,
    flags: tuple[str, ...],
    nonce: int | None,
    valid_hours: int,
    out: Path | None,
) -> None:
    """Sign WALLET's attestation offline as the verifier; anyone submits it with `attest submit` (gasless for
    the verifier). Needs only the deployment file when --nonce is given."""
    deployment = s.deployment()
    if nonce is None:
        nonce = s.reader().attestation_of(wallet).nonce
    signed = sign_attestation(
        deployment,
        s.account(),
        wallet=wallet,
        entity_id=entity_id,
        country=country,
        expiry=_expiry(expires, days),
        flags=_flags(flags),
        nonce=nonce,
        deadline=int(dt.datetime.now(dt.UTC).timestamp()) + valid_hours * 3600,
    )
    text = json.dumps(_attestation_doc(signed), indent=2)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        s.note(f"signed attestation for {wallet} written to {out}")
    else:
        click.echo(text)


@attest.command("submit")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_session
def attest_submit(s: Session, document: Path) -> None:
    """Submit a verifier-signed attestation document (any funded key may)."""
    signed = _attestation_from_doc(document)
    receipt = s.client().attest_by_sig(signed)
    s.emit({"wallet": signed.wallet, **_receipt_data(receipt)}, f"attested {signed.wallet} (tx {receipt.tx_hash})")


@attest.command("revoke")
@click.argument("wallet", type=ADDRESS)
@json_option
@pass_session
def attest_revoke(s: Session, wallet: str) -> None:
    """Revoke WALLET's attestation at once (VERIFIER_ROLE)."""
    receipt = s.client().revoke(wallet)
    s.emit({"wallet": wallet, **_receipt_data(receipt)}, f"revoked {wallet} (tx {receipt.tx_hash})")


@attest.command("show")
@click.argument("wallet", type=ADDRESS)
@json_option
@pass_session
def attest_show(s: Session, wallet: str) -> None:
    """WALLET's attestation and whether it may hold and trade claims now."""
    c = s.reader()
    a = c.attestation_of(wallet)
    eligible = c.is_eligible(wallet)
    restricted = a.country != 0 and c.is_restricted(a.country)
    flag_names = [name for name, bit in ATTESTATION_FLAGS.items() if a.flags & bit]
    data = {
        "wallet": wallet,
        "entity_id": a.entity_id,
        "country": a.country,
        "expiry": a.expiry,
        "flags": flag_names,
        "nonce": a.nonce,
        "attested": a.attested,
        "restricted": restricted,
        "eligible": eligible,
    }
    expiry = dt.datetime.fromtimestamp(a.expiry, dt.UTC).date().isoformat() if a.expiry else "-"
    s.emit(
        data,
        f"{wallet}: {'eligible' if eligible else 'NOT eligible'}; entity {a.entity_id}, country {a.country:03d}"
        f"{' (restricted)' if restricted else ''}, expires {expiry}, flags {','.join(flag_names) or '-'}, "
        f"nonce {a.nonce}",
    )


@attest.command("restrict")
@click.argument("countries", nargs=-1, required=True, type=click.IntRange(1, 999))
@click.option("--lift", is_flag=True, help="Remove the countries from the restricted set instead.")
@json_option
@pass_session
def attest_restrict(s: Session, countries: tuple[int, ...], lift: bool) -> None:
    """Add COUNTRIES (ISO numeric) to the restricted jurisdictions, or --lift them (COMPLIANCE_ROLE)."""
    receipt = s.client().set_restricted(list(countries), not lift)
    verb = "lifted" if lift else "restricted"
    s.emit(
        {"countries": list(countries), "restricted": not lift, **_receipt_data(receipt)},
        f"{verb} {', '.join(f'{c:03d}' for c in countries)} (tx {receipt.tx_hash})",
    )


# ================================================================================================ validate / mint


def _schedule_options(func: F) -> F:
    for decorator in reversed(
        [
            click.argument("schedule", type=click.Path(exists=True, dir_okay=False, path_type=Path)),
            click.option(
                "--format",
                "file_format",
                type=click.Choice(["csv", "json"]),
                default=None,
                help="Default: from the file name.",
            ),
            click.option(
                "--estate",
                "estates",
                type=click.IntRange(1, UINT32_MAX),
                multiple=True,
                help="Estate ids (each gets classes 2i+1 convenience, 2i+2 general; default 1).",
            ),
            click.option(
                "--threshold",
                type=USD,
                default=None,
                help="Convenience-class threshold in USD (default 50000): smaller claims are convenience.",
            ),
            click.option(
                "--restricted",
                "restricted",
                default=None,
                metavar="CODES",
                help="Restricted jurisdictions, comma-separated ISO numeric codes (e.g. 156,643,364,408).",
            ),
            click.option(
                "--restricted-from-chain",
                is_flag=True,
                help="Read the restricted jurisdictions from the token (JurisdictionRestricted events).",
            ),
            click.option("--require-checksum", is_flag=True, help="Refuse all-lowercase wallet addresses too."),
            click.option(
                "--allow-rejects", is_flag=True, help="Exit 0 (and mint the accepted rows) even when rows are rejected."
            ),
        ]
    ):
        func = decorator(func)
    return func


def _countries(text: str | None) -> frozenset[int]:
    if text is None or not text.strip():
        return frozenset()
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= 999:
            _bad(f"--restricted: {part!r} is not an ISO 3166-1 numeric code (1..999)")
        out.add(int(part))
    return frozenset(out)


def restricted_on_chain(client: Client) -> frozenset[int]:
    """The restricted jurisdictions now, from the token's ``JurisdictionRestricted`` events (last one wins)."""
    state: dict[int, bool] = {}
    for event in client.events("ClaimToken", "JurisdictionRestricted"):
        state[int(event.args["country"])] = bool(event.args["restricted"])
    return frozenset(c for c, on in state.items() if on)


def _validate(
    s: Session,
    schedule: Path,
    file_format: str | None,
    estates: tuple[int, ...],
    threshold: int | None,
    restricted: str | None,
    restricted_from_chain: bool,
    require_checksum: bool,
) -> ValidationReport:
    classes = ClassScheme.default(
        tuple(estates) or (1,),
        convenience_threshold=threshold if threshold is not None else DEFAULT_CONVENIENCE_THRESHOLD,
    )
    countries = set(_countries(restricted))
    if restricted_from_chain:
        countries |= restricted_on_chain(s.reader())
    fmt = file_format if file_format in ("csv", "json") else None
    if fmt is None and schedule.suffix.lower() not in (".csv", ".json"):
        _bad(f"{schedule}: cannot tell CSV from JSON by the name; pass --format csv|json")
    return read_schedule(
        schedule,
        file_format=fmt,  # type: ignore[arg-type]  # checked just above: "csv", "json" or None
        classes=classes,
        restricted_countries=countries,
        require_checksum=require_checksum,
    )


def _report_text(report: ValidationReport) -> str:
    return report.summary()


def _reject_error(report: ValidationReport) -> CliError:
    first = report.rejected[0]
    return CliError(
        f"{report.rejected_count} of {report.rows_total} rows rejected ({report.error_count} errors); first: "
        f"row {first.row}, {first.field}: {first.reason} (--allow-rejects to go on with the accepted rows)",
        2,
    )


@cli.command()
@_schedule_options
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the JSON report to this file.",
)
@json_option
@pass_session
def validate(
    s: Session,
    schedule: Path,
    file_format: str | None,
    estates: tuple[int, ...],
    threshold: int | None,
    restricted: str | None,
    restricted_from_chain: bool,
    require_checksum: bool,
    allow_rejects: bool,
    out: Path | None,
) -> None:
    """Validate a claims SCHEDULE (CSV or JSON; docs/SCHEDULE.md): every row's problems by row and field.

    Exits 2 when any row is rejected, unless --allow-rejects.
    """
    report = _validate(
        s, schedule, file_format, estates, threshold, restricted, restricted_from_chain, require_checksum
    )
    if out is not None:
        out.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    s.emit(report.as_dict(), lambda: _report_text(report))
    if report.rejected and not allow_rejects:
        raise _reject_error(report)


@cli.command()
@_schedule_options
@click.option(
    "--journal",
    "journal",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The mint journal of this schedule file (reuse it to resume: nothing is minted twice).",
)
@click.option(
    "--batch-size", type=click.IntRange(1, 500), default=50, show_default=True, help="Claims per mintBatch transaction."
)
@click.option(
    "--window",
    type=click.IntRange(1, 64),
    default=3,
    show_default=True,
    help="mintBatch transactions in flight at once (keep window x batch within a block's gas).",
)
@json_option
@pass_session
def mint(
    s: Session,
    schedule: Path,
    file_format: str | None,
    estates: tuple[int, ...],
    threshold: int | None,
    restricted: str | None,
    restricted_from_chain: bool,
    require_checksum: bool,
    allow_rejects: bool,
    journal: Path,
    batch_size: int,
    window: int,
) -> None:
    """Validate SCHEDULE, then mint its accepted rows (VALIDATOR_ROLE): batched, journaled, resumable.

    Nothing is minted when rows are rejected, unless --allow-rejects.
    """
    from pyclaims.minting import mint_schedule

    if restricted is None and not restricted_from_chain:
        restricted_from_chain = True  # minting must agree with the token's rule
    report = _validate(
        s, schedule, file_format, estates, threshold, restricted, restricted_from_chain, require_checksum
    )
    s.note(_report_text(report))
    if report.rejected and not allow_rejects:
        raise _reject_error(report)
    client = s.client()
    total = report.accepted_count
    progress_bar: Any = click.progressbar(length=total, label="minting", file=sys.stderr, show_pos=True)
    with progress_bar as bar:
        done = [0]

        def progress(settled: int, _total: int) -> None:
            bar.update(settled - done[0])
            done[0] = settled

        result = mint_schedule(
            client, report, journal_path=journal, batch_size=batch_size, window=window, progress=progress
        )
    data = result.as_dict()
    s.emit(
        data,
        f"minted {len(result.minted)}, already present {len(result.already_present)}, failed {len(result.failed)} "
        f"({result.transactions} transactions, {result.gas_used:,} gas); journal {journal}"
        + "".join(f"\n  row {o.row.row}: {o.error}" for o in result.failed),
    )
    if not result.ok:
        raise CliError(f"{len(result.failed)} claims were not minted (see above); run again to retry", 1)


# ================================================================================================ offers


@cli.group()
def offer() -> None:
    """Offers as JSON documents: create (and sign), sign a draft, show, cancel."""


def _order_dict(order: Order) -> dict[str, str]:
    return {
        key: (str(getattr(order, attr)) if key not in ("maker", "taker") else getattr(order, attr))
        for key, attr in _ORDER_KEYS
    }


def _draft_doc(order: Order, deployment: Deployment) -> dict[str, Any]:
    return {
        "format": DRAFT_FORMAT,
        "version": 1,
        "chainId": str(deployment.chain_id),
        "market": deployment.market,
        "order": {k: (v if k in ("maker", "taker") else str(int(v))) for k, v in _order_dict(order).items()},
    }


def _order_from_draft(path: Path, deployment: Deployment) -> Order:
    data = _read_json(path, "an order draft")
    if data.get("format") != DRAFT_FORMAT or data.get("version") != 1:
        _bad(f"{path}: format: expected {DRAFT_FORMAT!r} version 1")
    if data.get("chainId") != str(deployment.chain_id) or data.get("market") != deployment.market:
        _bad(
            f"{path}: chainId/market: the draft is for chain {data.get('chainId')} market {data.get('market')}, "
            f"this deployment is chain {deployment.chain_id} market {deployment.market}"
        )
    raw = data.get("order")
    if not isinstance(raw, dict):
        _bad(f"{path}: order: expected a JSON object")
    values: dict[str, Any] = {}
    for key, attr in _ORDER_KEYS:
        value = raw.get(key)
        if key in ("maker", "taker"):
            values[attr] = value
        else:
            if not isinstance(value, str) or not value.isdigit():
                _bad(f"{path}: order.{key}: expected a decimal string, got {value!r}")
            values[attr] = int(value)
    unknown = set(raw) - {k for k, _ in _ORDER_KEYS}
    if unknown:
        _bad(f"{path}: order.{sorted(unknown)[0]}: unknown field")
    try:
        return Order(**values)
    except OfferError as exc:
        _bad(f"{path}: order.{exc.field}: {exc.reason}")


def _load_offer(path: Path) -> SignedOrder:
    try:
        return from_json(path.read_bytes())
    except OfferError as exc:
        raise CliError(f"{path}: {exc.field}: {exc.reason}", 2) from exc


def _describe_order(order: Order) -> str:
    side = "ASK" if order.side == Side.Ask else "BID"
    expiry = dt.datetime.fromtimestamp(order.expiry, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    taker = "anyone" if order.taker == _ZERO else order.taker
    if order.claim_id:
        what = f"claim {order.claim_id} for {_usd(order.price)}"
    else:
        what = (
            f"class {order.class_id} claims at {_pct(order.price)} of allowed amount, up to "
            f"{_usd(order.max_amount)} allowed"
        )
    return f"{side} by {order.maker}: {what}; taker {taker}; expires {expiry}; counter {order.counter}"


def _signed_data(signed: SignedOrder) -> dict[str, Any]:
    order = signed.order
    return {
        "order_hash": "0x" + signed.hash.hex(),
        "side": "ask" if order.side == Side.Ask else "bid",
        "maker": order.maker,
        "taker": order.taker,
        "class_id": order.class_id,
        "claim_id": order.claim_id,
        "price": str(order.price),
        "max_amount": str(order.max_amount),
        "expiry": order.expiry,
        "counter": order.counter,
        "chain_id": signed.chain_id,
        "market": signed.market,
    }


@offer.command("create")
@click.option("--side", type=click.Choice(["ask", "bid"]), required=True, help="ask: you sell; bid: you buy.")
@click.option("--claim", "claim_id", type=click.IntRange(1), default=None, help="The claim (asks, specific bids).")
@click.option(
    "--class",
    "class_id",
    type=click.IntRange(1, UINT32_MAX),
    default=None,
    help="A class (class bids: any claim of the class).",
)
@click.option("--price", type=USD, default=None, help="Total price in USD (asks and specific bids).")
@click.option(
    "--rate",
    type=RateType(maximum=10 * RATE_SCALE),
    default=None,
    help="Class bids: price as a share of allowed amount (65% or 650000 ppm).",
)
@click.option("--max-amount", type=USD, default=None, help="Class bids: the most allowed amount (USD) to buy.")
@click.option("--taker", type=ADDRESS, default=None, help="Only this wallet may fill (default: anyone).")
@click.option("--expires", type=DATE, default="+7", show_default=True, help="Expiry date (YYYY-MM-DD or +DAYS).")
@click.option(
    "--counter", type=click.IntRange(0), default=None, help="Your order counter (default: read from the chain)."
)
@click.option(
    "--approve",
    is_flag=True,
    help="Bids: approve the market for the most the bid can pay (the buyer pays from the wallet at fill time).",
)
@click.option("--unsigned", is_flag=True, help="Write an unsigned draft (sign it later with `offer sign`).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the document here (default: print it).",
)
@pass_session
def offer_create(
    s: Session,
    side: str,
    claim_id: int | None,
    class_id: int | None,
    price: int | None,
    rate: int | None,
    max_amount: int | None,
    taker: str | None,
    expires: dt.date,
    counter: int | None,
    approve: bool,
    unsigned: bool,
    out: Path | None,
) -> None:
    """Create an offer and sign it with your key (you are the maker), as a JSON document to hand over."""
    deployment = s.deployment()
    maker = s.account().address
    expiry = int(dt.datetime.combine(expires, dt.time(23, 59, 59), tzinfo=dt.UTC).timestamp())
    if counter is None:
        counter = s.reader().counter_of(maker)
    common: dict[str, Any] = {"maker": maker, "expiry": expiry, "counter": counter, "taker": taker or _ZERO}
    if class_id is not None:
        if side != "bid":
            _bad("--class: only bids can be for a class (an ask sells one claim: --claim)")
        if claim_id is not None or price is not None:
            _bad("--class: a class bid takes --rate and --max-amount, not --claim/--price")
        if rate is None or max_amount is None:
            _bad("--rate and --max-amount: both are required for a class bid")
        order = class_bid(class_id=class_id, price_per_million=rate, max_amount=max_amount, **common)
    else:
        if claim_id is None:
            _bad("--claim: required (or --class for a class bid)")
        if price is None:
            _bad("--price: required")
        if rate is not None or max_amount is not None:
            _bad("--rate/--max-amount: only for class bids (--class)")
        build = ask if side == "ask" else bid_for_claim
        order = build(claim_id=claim_id, price=price, **common)
    if approve:
        if order.side != Side.Bid:
            _bad("--approve: only for bids (an ask's buyer approves at fill time)")
        most = order.price if order.claim_id else payment_for(order.max_amount, order.price)
        c = s.client()
        if c.allowance(maker, deployment.market) < most:
            c.approve(deployment.market, most)
            s.note(f"approved the market for {_usd(most)}")
    if unsigned:
        text = json.dumps(_draft_doc(order, deployment), indent=2)
    else:
        text = sign_order(order, _signer(s), market=deployment.market, chain_id=deployment.chain_id).to_json()
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
        s.note(f"{'draft' if unsigned else 'signed offer'} written to {out}: {_describe_order(order)}")
    else:
        click.echo(text)


def _signer(s: Session) -> Any:
    from pyclaims.eip712 import LocalSigner

    return LocalSigner(bytes(s.account().key))


@offer.command("sign")
@click.argument("draft", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_session
def offer_sign(s: Session, draft: Path, out: Path | None) -> None:
    """Sign an unsigned DRAFT (from `offer create --unsigned`) with your key; prints the offer document."""
    deployment = s.deployment()
    order = _order_from_draft(draft, deployment)
    if order.maker != s.account().address:
        _bad(f"order.maker: the draft's maker is {order.maker}, your key is {s.account().address}")
    signed = sign_order(order, _signer(s), market=deployment.market, chain_id=deployment.chain_id)
    if out is not None:
        out.write_text(signed.to_json() + "\n", encoding="utf-8")
        s.note(f"signed offer written to {out}")
    else:
        click.echo(signed.to_json())


@offer.command("show")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--onchain", is_flag=True, help="Also read its state: filled, cancelled, counter, deposit.")
@json_option
@pass_session
def offer_show(s: Session, document: Path, onchain: bool) -> None:
    """Check an offer DOCUMENT (format, fields, hash, the maker's signature, expiry) and show it."""
    signed = _load_offer(document)
    data = _signed_data(signed)
    expired = False
    try:
        verify_order(signed)
    except OfferError as exc:
        if exc.field != "expiry":
            raise
        expired = True
    data["expired"] = expired
    lines = [_describe_order(signed.order), f"order hash 0x{signed.hash.hex()}; signature by the maker: valid"]
    if expired:
        lines.append("EXPIRED")
    if onchain:
        c = s.reader()
        state = c.order_state(signed.hash)
        counter = c.counter_of(signed.order.maker)
        deposit = c.deposit_of(signed.hash)
        data.update(
            filled_amount=str(state.filled_amount),
            cancelled=state.cancelled,
            counter_current=counter == signed.order.counter,
            deposit=str(deposit.amount),
        )
        live = not state.cancelled and counter == signed.order.counter and not expired
        if signed.order.claim_id and state.filled_amount:
            live = False
        data["fillable"] = live
        lines.append(
            f"on chain: {'fillable' if live else 'NOT fillable'}; filled {state.filled_amount}, "
            f"cancelled {state.cancelled}, counter {'current' if counter == signed.order.counter else 'bumped'}, "
            f"escrowed {_usd(deposit.amount)}"
        )
    s.emit(data, "\n".join(lines))


@offer.command("cancel")
@click.argument("documents", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--all", "cancel_all", is_flag=True, help="Cancel every offer you signed (bump your counter).")
@json_option
@pass_session
def offer_cancel(s: Session, documents: tuple[Path, ...], cancel_all: bool) -> None:
    """Cancel your offer DOCUMENTS, or --all of them (bumps your counter)."""
    if bool(documents) == cancel_all:
        _bad("give offer documents to cancel, or --all (not both)")
    c = s.client()
    if cancel_all:
        receipt = c.increment_counter()
        s.emit(
            {"counter_bumped": True, **_receipt_data(receipt)},
            f"every offer signed with your previous counter is cancelled (tx {receipt.tx_hash})",
        )
        return
    signed = [_load_offer(p) for p in documents]
    for item, path in zip(signed, documents, strict=True):
        if item.order.maker != c.address:
            _bad(f"{path}: order.maker: {item.order.maker} made it, not your key {c.address}; only the maker cancels")
    receipt = c.cancel([x.order for x in signed])
    s.emit(
        {"cancelled": ["0x" + x.hash.hex() for x in signed], **_receipt_data(receipt)},
        f"cancelled {len(signed)} offer(s) (tx {receipt.tx_hash})",
    )


# ================================================================================================ valuation


def _valuation_options(func: F) -> F:
    for decorator in reversed(
        [
            click.option(
                "--round",
                "rounds",
                type=ROUND,
                multiple=True,
                metavar="DATE:RATE[:PROB]",
                help="An expected round: date, cumulative rate, probability (2026-06-30:72%:90%); repeat.",
            ),
            click.option(
                "--discount-rate",
                type=RATE,
                default="15%",
                show_default=True,
                help="Your annual discount rate (compounded daily).",
            ),
            click.option(
                "--dispute-probability",
                type=RateType(maximum=RATE_SCALE),
                default="0%",
                show_default=True,
                help="The chance the claim ends up disputed and pays nothing more.",
            ),
            click.option(
                "--paid",
                "paid_so_far",
                type=UsdType(allow_zero=True),
                default=None,
                help="Paid on the claim so far, USD (default: the class's declared rate x allowed).",
            ),
            click.option("--date", "valuation_date", type=DATE, default=None, help="Valuation date (default today)."),
        ]
    ):
        func = decorator(func)
    return func


@dataclass(frozen=True)
class _ValuationArgs:
    rounds: tuple[ExpectedRound, ...]
    discount_rate: int
    dispute_probability: int
    paid_so_far: int | None
    valuation_date: dt.date | None


def _holding(args: _ValuationArgs, *, allowed: int, paid_default: int, class_name: str | None = None) -> HoldingValue:
    today = args.valuation_date or dt.datetime.now(dt.UTC).date()
    paid = args.paid_so_far if args.paid_so_far is not None else paid_default
    return value_holding(
        HoldingInputs(
            allowed_amount=allowed,
            rounds=tuple(sorted(args.rounds, key=lambda r: r.date)),
            valuation_date=today,
            annual_discount_rate_ppm=args.discount_rate,
            dispute_probability_ppm=args.dispute_probability,
            paid_so_far=paid,
        )
    )


def _offer_price(signed: SignedOrder, claim: Claim) -> int:
    if signed.order.claim_id:
        return signed.order.price
    return payment_for(claim.amount, signed.order.price)


def _valuation_data(holding: HoldingValue, price: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "allowed": str(holding.inputs.allowed_amount),
        "paid_so_far": str(holding.inputs.paid_so_far),
        "hold_value": str(holding.hold_value),
        "hold_value_ppm_of_allowed": holding.hold_value_ppm,
        "expected_payments": str(holding.expected_payments),
        "rounds": [
            {
                "date": rv.round.date,
                "rate_ppm": rv.round.rate_ppm,
                "probability_ppm": rv.round.probability_ppm,
                "payment": str(rv.payment),
                "present_value": str(rv.present_value),
            }
            for rv in holding.rounds
        ],
    }
    if price is not None:
        cmp = compare_offer(holding, price)
        data["offer"] = {
            "price": str(cmp.price),
            "premium": str(cmp.premium),
            "premium_bps": cmp.premium_bps,
            "price_ppm_of_allowed": cmp.price_ppm_of_allowed,
            "buyer_implied_annual_return_bps": cmp.implied_annual_return_bps,
            "buyer_implied_return_status": cmp.implied_return_status,
            "worth_selling": price >= holding.hold_value,
        }
    return data


def _paid_on_chain(client: Client, claim: Claim) -> int:
    return claim.amount * client.cumulative_rate_of(claim.class_id) // RATE_SCALE


@cli.command()
@click.option("--claim", "claim_id", type=click.IntRange(1), default=None, help="A claim on chain.")
@click.option("--allowed", type=USD, default=None, help="Or: an allowed amount in USD (offline).")
@click.option(
    "--offer",
    "offer_doc",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="An offer document to compare with.",
)
@_valuation_options
@json_option
@pass_session
def value(
    s: Session,
    claim_id: int | None,
    allowed: int | None,
    offer_doc: Path | None,
    rounds: tuple[ExpectedRound, ...],
    discount_rate: int,
    dispute_probability: int,
    paid_so_far: int | None,
    valuation_date: dt.date | None,
) -> None:
    """The value of holding a claim (expected rounds, discounted), next to an offer: what a seller sees first."""
    if (claim_id is None) == (allowed is None):
        _bad("give --claim ID (read from the chain) or --allowed USD (offline), one of them")
    if not rounds:
        _bad("--round: at least one expected round DATE:RATE[:PROB] is needed to value holding")
    args = _ValuationArgs(rounds, discount_rate, dispute_probability, paid_so_far, valuation_date)
    signed = _load_offer(offer_doc) if offer_doc is not None else None
    if claim_id is not None:
        c = s.reader()
        claim = c.claim_of(claim_id)
        holding = _holding(args, allowed=claim.amount, paid_default=_paid_on_chain(c, claim))
        price = _offer_price(signed, claim) if signed is not None else None
        if signed is not None and signed.order.claim_id not in (0, claim_id):
            _bad(f"--offer: the offer is for claim {signed.order.claim_id}, not claim {claim_id}")
    else:
        assert allowed is not None
        holding = _holding(args, allowed=allowed, paid_default=0)
        price = None
        if signed is not None:
            price = signed.order.price if signed.order.claim_id else payment_for(allowed, signed.order.price)
    data = _valuation_data(holding, price)
    text = holding.describe()
    if price is not None:
        text += "\n" + compare_offer(holding, price).describe()
    s.emit(data, text)


# ================================================================================================ settlement


@cli.group()
def settle() -> None:
    """Settle offers atomically: fill ask/bid documents, escrow deposits for bids, withdraw them."""


def _parse_fill(item: str) -> tuple[Path, int | None]:
    path_text, sep, claim = item.rpartition("@")
    if sep and claim.isdigit() and Path(path_text).is_file():
        return Path(path_text), int(claim)
    path = Path(item)
    if not path.is_file():
        _bad(f"{item}: no such offer document (use FILE or FILE@CLAIM_ID for a class bid)")
    return path, None


def _confirm_sale(s: Session, yes: bool, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError("refusing to sell without a confirmation: stdin is not a terminal (pass --yes)", 2)
    if not click.confirm(question, default=False, err=True):
        raise CliError("not confirmed: nothing was sent", 2)


@settle.command("fill")
@click.argument("offers", nargs=-1, required=True, metavar="OFFER[@CLAIM_ID]...")
@click.option("--yes", is_flag=True, help="Sell without asking (the valuation is still printed).")
@click.option(
    "--approve/--no-approve",
    default=True,
    show_default=True,
    help="As a buyer, approve the market for the prices first when the allowance is short.",
)
@_valuation_options
@json_option
@pass_session
def settle_fill(
    s: Session,
    offers: tuple[str, ...],
    yes: bool,
    approve: bool,
    rounds: tuple[ExpectedRound, ...],
    discount_rate: int,
    dispute_probability: int,
    paid_so_far: int | None,
    valuation_date: dt.date | None,
) -> None:
    """Fill offer documents: an ask buys its claim (you pay); a bid sells your claim into it (you are paid).

    Several documents settle in one all-or-nothing batch. A class bid needs the claim you sell: FILE@CLAIM_ID.
    Before you sell into a bid, the value of holding your claim is shown next to the bid (give your expected
    rounds with --round) and you are asked to confirm, unless --yes.
    """
    c = s.client()
    me = c.address
    fills: list[tuple[SignedOrder, int]] = []
    pay = 0
    selling: list[tuple[SignedOrder, Claim, int]] = []
    for item in offers:
        path, claim_arg = _parse_fill(item)
        signed = _load_offer(path)
        try:
            verify_order(signed)
        except OfferError as exc:
            raise CliError(f"{path}: {exc.field}: {exc.reason}", 2) from exc
        order = signed.order
        if order.maker == me:
            _bad(f"{path}: you made this offer; the other side fills it")
        if order.side == Side.Ask:
            if claim_arg is not None and claim_arg != order.claim_id:
                _bad(f"{item}: an ask sells claim {order.claim_id}; no @CLAIM_ID needed")
            fills.append((signed, 0))
            pay += order.price
            continue
        claim_id = order.claim_id or claim_arg
        if claim_id is None:
            _bad(f"{path}: a class bid needs the claim you sell: {path}@CLAIM_ID")
        if order.claim_id and claim_arg not in (None, order.claim_id):
            _bad(f"{item}: this bid is for claim {order.claim_id}, not {claim_arg}")
        claim = c.claim_of(claim_id)
        if claim.holder != me:
            _bad(f"{item}: claim {claim_id} is held by {claim.holder}, not your key {me}")
        if not order.claim_id and claim.class_id != order.class_id:
            _bad(f"{item}: claim {claim_id} is class {claim.class_id}; the bid buys class {order.class_id}")
        selling.append((signed, claim, _offer_price(signed, claim)))
        fills.append((signed, claim_id))
    # The seller's view first: the value of holding next to each bid.
    if selling:
        if rounds:
            args = _ValuationArgs(rounds, discount_rate, dispute_probability, paid_so_far, valuation_date)
            for signed, claim, price in selling:
                holding = _holding(args, allowed=claim.amount, paid_default=_paid_on_chain(c, claim))
                s.note(f"Claim {claim.claim_id} into the bid 0x{signed.hash.hex()[:16]}...:")
                s.note(holding.describe())
                s.note(compare_offer(holding, price).describe())
        elif not yes:
            _bad(
                "--round: to sell into a bid you first see the value of holding your claim: give the expected "
                "rounds (--round DATE:RATE[:PROB], repeatable), or --yes to sell without it"
            )
        total = sum(p for _, _, p in selling)
        _confirm_sale(s, yes, f"Sell {len(selling)} claim(s) for {_usd(total)} in total?")
    if pay and approve and ensure_allowance(c, pay) is not None:
        s.note(f"approved the market for {_usd(pay)}")
    records: Sequence[SettlementRecord]
    if len(fills) == 1:
        signed, claim_id = fills[0]
        records = [fill(c, signed, claim_id=claim_id, approve=False)]
    else:
        report = fill_many(c, fills, batch=True, batch_size=len(fills), approve=False)
        if not report.ok:
            error = report.failed[0].error
            if error is not None:
                raise error
        records = report.records
    data = {"settlements": [r.as_dict() for r in records]}
    s.emit(
        data,
        lambda: "\n".join(
            f"claim {r.claim_id}: {r.seller} -> {r.buyer} for {_usd(r.price)}"
            f"{' (from escrow)' if r.escrowed else ''}; tx {r.tx_hash}"
            for r in records
        ),
    )


@settle.command("deposit")
@click.argument("bid", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--amount", type=USD, default=None, help="USD to escrow (default: a specific bid's price).")
@click.option("--approve/--no-approve", default=True, show_default=True)
@json_option
@pass_session
def settle_deposit(s: Session, bid: Path, amount: int | None, approve: bool) -> None:
    """Escrow money for your own BID document in the market (a seller then fills it from escrow)."""
    signed = _load_offer(bid)
    c = s.client()
    if signed.order.side != Side.Bid:
        _bad(f"{bid}: order.side: only bids take deposits")
    if signed.order.maker != c.address:
        _bad(f"{bid}: order.maker: {signed.order.maker} made it, not your key {c.address}")
    if amount is None:
        if not signed.order.claim_id:
            _bad("--amount: required for a class bid")
        amount = signed.order.price
    if approve:
        ensure_allowance(c, amount)
    receipt = c.deposit(signed.order, amount)
    escrowed = c.deposit_of(signed.hash).amount
    s.emit(
        {
            "order_hash": "0x" + signed.hash.hex(),
            "deposited": str(amount),
            "escrowed": str(escrowed),
            **_receipt_data(receipt),
        },
        f"escrowed {_usd(amount)} for bid 0x{signed.hash.hex()} (now {_usd(escrowed)}; tx {receipt.tx_hash})",
    )


@settle.command("withdraw")
@click.argument("bid", metavar="BID|ORDER_HASH")
@json_option
@pass_session
def settle_withdraw(s: Session, bid: str) -> None:
    """Take back the whole deposit of your bid (this cancels the bid). Works even while the token is paused."""
    if len(bid) == 66 and bid.startswith("0x") and not Path(bid).exists():
        try:
            order_hash = bytes.fromhex(bid[2:])
        except ValueError:
            _bad(f"BID: {bid!r} is neither a file nor a 0x order hash")
    else:
        path = Path(bid)
        if not path.is_file():
            _bad(f"BID: {bid!r} is neither an offer document nor a 0x order hash")
        order_hash = _load_offer(path).hash
    amount = withdraw_bid(s.client(), order_hash)
    s.emit(
        {"order_hash": "0x" + order_hash.hex(), "withdrawn": str(amount)},
        f"withdrew {_usd(amount)} from bid 0x{order_hash.hex()}; the bid is cancelled",
    )


# ================================================================================================ rounds


@cli.group("round")
def round_() -> None:
    """Distribution rounds: plan, declare, pay (journaled), resolve disputes, reconcile, show."""


def _plan_text(plan: RoundPlan) -> str:
    return (
        f"class {plan.class_id}: {plan.claim_count} claims, {_usd(plan.total_allowed)} allowed "
        f"({_usd(plan.disputed_allowed)} disputed)\n"
        f"round at {_pct(plan.cumulative_rate)} cumulative (+{_pct(plan.rate_delta)}): funding "
        f"{_usd(plan.funding)} = payable {_usd(plan.payable)} + withheld for disputed claims "
        f"{_usd(plan.disputed_reserve)} + dust {plan.dust} base units (each claim is owed "
        f"floor(amount x {plan.rate_delta} / 1e6); dust stays in the distributor)"
    )


def _plan(c: Client, class_id: int, rate: int) -> RoundPlan:
    if not c.class_of(class_id).defined:
        _bad(f"--class: class {class_id} is not defined on the token")
    previous = c.cumulative_rate_of(class_id)
    if rate <= previous:
        _bad(f"--rate: must exceed the class's cumulative rate so far, {_pct(previous)}")
    return plan_round(c, class_id, rate)


@round_.command("plan")
@click.option("--class", "class_id", type=click.IntRange(1, UINT32_MAX), required=True)
@click.option("--rate", type=RATE, required=True, help="The class's new cumulative rate (72% or ppm).")
@json_option
@pass_session
def round_plan(s: Session, class_id: int, rate: int) -> None:
    """What declaring a round would take: funding, payable, the disputed reserve, dust (read-only)."""
    plan = _plan(s.reader(), class_id, rate)
    s.emit(plan.as_dict(), lambda: _plan_text(plan))


@round_.command("declare")
@click.option("--class", "class_id", type=click.IntRange(1, UINT32_MAX), required=True)
@click.option("--rate", type=RATE, required=True, help="The class's new cumulative rate (72% or ppm).")
@json_option
@pass_session
def round_declare(s: Session, class_id: int, rate: int) -> None:
    """Declare a round (DISTRIBUTOR_ROLE); the distributor pulls the funding from your key's wallet."""
    c = s.client()
    plan = _plan(c, class_id, rate)
    s.note(_plan_text(plan))
    declared = declare(c, plan)
    r = declared.round
    s.emit(
        {
            "round_id": r.round_id,
            "class_id": r.class_id,
            "funded": str(r.funded),
            "rate_delta_ppm": r.rate_delta,
            "cumulative_rate_ppm": r.cumulative_rate,
            **_receipt_data(declared.receipt),
        },
        f"round {r.round_id} declared for class {r.class_id}: +{_pct(r.rate_delta)}, funded {_usd(r.funded)} "
        f"(tx {declared.receipt.tx_hash})",
    )


@round_.command("pay")
@click.argument("round_id", type=click.IntRange(1, UINT32_MAX))
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The payout journal of this round (reuse it to resume: nothing is paid twice).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 500),
    default=100,
    show_default=True,
    help="Claims per payoutBatch transaction.",
)
@click.option(
    "--window", type=click.IntRange(1, 64), default=8, show_default=True, help="Transactions in flight at once."
)
@json_option
@pass_session
def round_pay(s: Session, round_id: int, journal: Path, batch_size: int, window: int) -> None:
    """Pay ROUND_ID to every holder of record of its class, in batches, exactly once (anyone may pay; disputed
    claims are withheld)."""
    c = s.client()
    c.round_of(round_id)  # an unknown round fails here, before a journal is written
    progress_bar: Any = click.progressbar(length=0, label=f"paying round {round_id}", file=sys.stderr, show_pos=True)
    with progress_bar as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        report = pay_round(c, round_id, journal_path=journal, batch_size=batch_size, window=window, progress=progress)
    data = {
        "round_id": round_id,
        "paid": len(report.paid),
        "paid_amount": str(report.amount_paid),
        "withheld": list(report.withheld),
        "unpaid": [{"claim_id": cid, "reason": why} for cid, why in report.unpaid],
        "errors": [{"op": op, "error": str(err)} for op, err in report.errors],
        "transactions": report.transactions,
        "gas_used": report.gas_used,
    }
    s.emit(
        data,
        f"round {round_id}: {len(report.paid)} payouts ({_usd(report.amount_paid)}) in {report.transactions} "
        f"transactions; {len(report.withheld)} withheld (disputed); {len(report.unpaid)} unpaid; journal {journal}",
    )
    if not report.ok:
        first = report.errors[0][1] if report.errors else f"claim {report.unpaid[0][0]}: {report.unpaid[0][1]}"
        raise CliError(f"round {round_id} is not fully paid: {first} (run again with the same journal)", 1)


@round_.command("resolve")
@click.argument("claim_id", type=click.IntRange(1))
@click.option(
    "--allow",
    "outcome",
    flag_value="allow",
    help="The dispute is resolved for the creditor: the claim is Allowed and its withheld payouts go to "
    "the holders of record.",
)
@click.option(
    "--expunge",
    "outcome",
    flag_value="expunge",
    help="The claim is expunged: its withheld payouts go back to each round's funder.",
)
@click.option(
    "--round",
    "round_ids",
    type=click.IntRange(1, UINT32_MAX),
    multiple=True,
    help="Only these rounds (default: every round of the claim's class).",
)
@click.option(
    "--no-set-status",
    is_flag=True,
    help="The validator already set the claim's status: only settle the withheld payouts.",
)
@json_option
@pass_session
def round_resolve(
    s: Session, claim_id: int, outcome: str | None, round_ids: tuple[int, ...], no_set_status: bool
) -> None:
    """Resolve a disputed claim: set its status (VALIDATOR_ROLE) and settle its withheld payouts (RESOLVER_ROLE)."""
    if outcome is None:
        _bad("give --allow or --expunge")
    records = resolve(
        s.client(),
        claim_id,
        allow=outcome == "allow",
        round_ids=list(round_ids) or None,
        set_status=not no_set_status,
    )
    data = {
        "claim_id": claim_id,
        "outcome": outcome,
        "settled": [
            {
                "round_id": r.round_id,
                "kind": r.kind,
                "recipient": r.recipient,
                "amount": str(r.amount),
                "tx_hash": r.tx_hash,
            }
            for r in records
        ],
    }
    s.emit(
        data,
        lambda: (
            f"claim {claim_id}: {'allowed' if outcome == 'allow' else 'expunged'}; "
            + (
                "; ".join(f"round {r.round_id} {r.kind} {_usd(r.amount)} to {r.recipient}" for r in records)
                or "no withheld payout to settle"
            )
        ),
    )


@round_.command("reconcile")
@click.argument("round_id", type=click.IntRange(1, UINT32_MAX), required=False)
@json_option
@pass_session
def round_reconcile(s: Session, round_id: int | None) -> None:
    """Prove each round balances to the base unit (funded = paid + returned + owed + withheld + dust) and the
    distributor holds exactly what the rounds say. Exits 1 when anything does not balance."""
    report = reconcile(s.reader(), round_id)

    def text() -> str:
        lines = []
        for b in report.rounds:
            lines.append(
                f"round {b.round.round_id}: funded {b.funded} = paid {b.paid} + returned {b.returned} + owed "
                f"{b.owed} + withheld {b.withheld} + dust {b.dust} (base units, {b.claims} claims): "
                + ("balances" if b.balanced else "DOES NOT BALANCE: " + "; ".join(b.problems))
            )
        lines.append(
            f"distributor holds {report.distributor_balance}, the rounds account for {report.held_for_rounds}"
            f"{'' if report.unexplained == 0 else f' (unexplained {report.unexplained})'}"
        )
        return "\n".join(lines)

    s.emit(report.as_dict(), text)
    if not report.balanced:
        raise CliError("the distributions do not balance to the base unit (see above)", 1)


@round_.command("show")
@click.argument("round_id", type=click.IntRange(1, UINT32_MAX), required=False)
@json_option
@pass_session
def round_show(s: Session, round_id: int | None) -> None:
    """Every round (or one) from the events: class, rates, funding, paid, released, returned, outstanding."""
    view = ChainView(s.reader())
    view.sync()
    rounds = [r for r in view.rounds() if round_id is None or r.round_id == round_id]
    if round_id is not None and not rounds:
        _bad(f"ROUND_ID: there is no round {round_id}")
    data = [_round_data(r) for r in rounds]
    s.emit(
        data,
        lambda: (
            "\n".join(
                f"round {r.round_id}: class {r.class_id}, +{_pct(r.rate_delta)} "
                f"(cumulative {_pct(r.cumulative_rate)}), "
                f"funded {_usd(r.funded)}, paid {_usd(r.paid)}, released {_usd(r.released)}, returned "
                f"{_usd(r.returned)}, outstanding {_usd(r.outstanding)}"
                for r in rounds
            )
            or "no rounds yet"
        ),
    )


def _round_data(r: RoundStatus) -> dict[str, Any]:
    return {
        "round_id": r.round_id,
        "class_id": r.class_id,
        "cumulative_rate_ppm": r.cumulative_rate,
        "rate_delta_ppm": r.rate_delta,
        "funded": str(r.funded),
        "paid": str(r.paid),
        "released": str(r.released),
        "returned": str(r.returned),
        "outstanding": str(r.outstanding),
    }


# ================================================================================================ status


@cli.command()
@click.argument("wallet", type=ADDRESS, required=False)
@json_option
@pass_session
def status(s: Session, wallet: str | None) -> None:
    """WALLET's attestation, claims, stablecoin balance and escrow deposits, and the rounds (default: your key)."""
    if wallet is None:
        if not s.has_key():
            _bad("WALLET: give a wallet, or a key (--key-env/--key-file) to show your own")
        wallet = s.account().address
    c = s.reader()
    view = ChainView(c)
    view.sync()
    a = c.attestation_of(wallet)
    eligible = c.is_eligible(wallet)
    claims = view.wallet_claims(wallet)
    balance = c.stablecoin_balance(wallet)
    deposits = view.deposits(buyer=wallet)
    rounds = view.rounds()
    data = {
        "wallet": wallet,
        "eligible": eligible,
        "attestation": {"entity_id": a.entity_id, "country": a.country, "expiry": a.expiry, "flags": a.flags},
        "stablecoin_balance": str(balance),
        "claims": [cl.as_dict() for cl in claims],
        "claims_allowed_total": str(sum(cl.amount for cl in claims)),
        "deposits": [{"order_hash": "0x" + d.order_hash.hex(), "amount": str(d.amount)} for d in deposits],
        "rounds": [_round_data(r) for r in rounds],
    }

    def text() -> str:
        lines = [
            f"{wallet}: {'eligible' if eligible else 'NOT eligible'} (entity {a.entity_id}, country {a.country:03d}); "
            f"stablecoin {_usd(balance)}",
            f"claims: {len(claims)} ({_usd(sum(cl.amount for cl in claims))} allowed)",
        ]
        lines += [
            f"  #{cl.claim_id:<6} class {cl.class_id}  {_usd(cl.amount):>20}  {cl.status.name}" for cl in claims[:50]
        ]
        if len(claims) > 50:
            lines.append(f"  ... and {len(claims) - 50} more (--json for all)")
        lines.append(f"escrow deposits: {len(deposits)} ({_usd(sum(d.amount for d in deposits))})")
        lines += [f"  0x{d.order_hash.hex()}  {_usd(d.amount)}" for d in deposits]
        lines.append(f"rounds: {len(rounds)}")
        lines += [
            f"  round {r.round_id}: class {r.class_id}, cumulative {_pct(r.cumulative_rate)}, funded {_usd(r.funded)}, "
            f"paid {_usd(r.paid + r.released)}"
            for r in rounds
        ]
        return "\n".join(lines)

    s.emit(data, text)


# ================================================================================================ entry point


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (``pyclaims``)."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="pyclaims")


if __name__ == "__main__":  # pragma: no cover
    main()
