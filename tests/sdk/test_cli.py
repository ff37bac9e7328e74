"""The ``pyclaims`` command line, through click's CliRunner, against a real anvil and a suite it deploys itself.

One module-scoped world: ``pyclaims deploy`` on a fresh anvil, wallets attested with ``attest issue``, a schedule
minted with ``mint``; each test then drives its own claims through a subcommand and checks the chain (through
the SDK) and the ``--json`` output. Keys only ever reach the CLI through environment variables named by
``--key-env``.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
from anvil import Anvil, dev_account
from click.testing import CliRunner, Result
from eth_utils.crypto import keccak

from pyclaims.cli import cli
from pyclaims.client import Client
from pyclaims.demo_data import generate_schedule
from pyclaims.schedule import COLUMNS, render_csv_records
from pyclaims.types import ClaimStatus, claim_ref, usd_to_base_units

pytestmark = pytest.mark.slow

US = 840
RESTRICTED = 408
USD = 1_000_000
ACCOUNTS = {"ADMIN_KEY": 0, "SELLER_KEY": 1, "SELLER2_KEY": 2, "BUYER_KEY": 3, "RESTRICTED_KEY": 4, "OTHER_KEY": 5}
# (claim number, holder dev index, allowed amount): estate 1, classes derived (convenience < $50,000).
CLAIMS = (
    ("A-1", 1, "1200.50"),
    ("B-2", 2, "75000.00"),
    ("C-3", 1, "3000.00"),
    ("D-4", 1, "4500.25"),
    ("E-5", 1, "800.00"),
    ("F-6", 2, "2500.00"),
    ("G-7", 4, "1000.00"),
    ("H-8", 2, "120000.00"),
    ("I-9", 2, "640.00"),
)


@dataclass
class World:
    """The node, the environment the CLI runs in, and a client to check the chain with."""

    node: Anvil
    tmp: Path
    env: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)
    _admin: Client | None = None

    def run(self, *args: str, key: str | None = "ADMIN_KEY", input: str | None = None) -> Result:
        runner = CliRunner(mix_stderr=False)
        argv = (["--key-env", key] if key else []) + list(args)
        return runner.invoke(cli, argv, env=self.env, input=input, catch_exceptions=False)

    def ok(self, *args: str, key: str | None = "ADMIN_KEY") -> Result:
        result = self.run(*args, key=key)
        assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        return result

    def json(self, *args: str, key: str | None = "ADMIN_KEY") -> Any:
        return json.loads(self.ok(*args, "--json", key=key).stdout)

    @property
    def admin(self) -> Client:
        if self._admin is None:
            self._admin = Client.connect(self.node.url, self.tmp / "deployment.json", account=dev_account(0))
        return self._admin

    def address(self, key: str) -> str:
        return str(dev_account(ACCOUNTS[key]).address)

    def path(self, name: str) -> str:
        return str(self.tmp / name)


def _schedule_csv() -> bytes:
    records = [
        {
            "claim_number": number,
            "estate": "1",
            "creditor_wallet": dev_account(holder).address,
            "entity_id": str(100 + holder),
            "country": str(RESTRICTED if holder == 4 else US),
            "allowed_amount_usd": amount,
            "class": "",
            "status": "",
            "evidence_hash": "0x" + keccak(text=f"evidence {number}").hex(),
        }
        for number, holder, amount in CLAIMS
    ]
    return render_csv_records(records, COLUMNS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("cli")
    with Anvil() as node:
        env = {"PYCLAIMS_RPC_URL": node.url, "PYCLAIMS_DEPLOYMENT": str(tmp / "deployment.json")}
        env.update({name: "0x" + bytes(dev_account(i).key).hex() for name, i in ACCOUNTS.items()})
        w = World(node, tmp, env)
        deployed = w.json("deploy", "--save", w.path("deployment.json"))
        assert deployed["reused"] is False and deployed["chain_id"] == 31337
        w.ok("attest", "restrict", str(RESTRICTED))
        for name in ("SELLER_KEY", "SELLER2_KEY", "BUYER_KEY", "RESTRICTED_KEY"):
            index = ACCOUNTS[name]
            country = RESTRICTED if name == "RESTRICTED_KEY" else US
            w.ok("attest", "issue", w.address(name), "--entity", str(100 + index), "--country", str(country))
        (tmp / "claims.csv").write_bytes(_schedule_csv())
        minted = w.json("mint", w.path("claims.csv"), "--journal", w.path("mint.journal"), "--batch-size", "4")
        assert minted["minted"] == len(CLAIMS) and minted["failed"] == 0
        refs = [claim_ref("1", number) for number, _, _ in CLAIMS]
        w.ids = dict(zip([n for n, _, _ in CLAIMS], w.admin.claim_ids_of(refs), strict=True))
        w.admin.mint_stablecoin(w.address("BUYER_KEY"), 1_000_000 * USD)
        w.admin.mint_stablecoin(w.address("ADMIN_KEY"), 1_000_000 * USD)
        yield w


# ------------------------------------------------------------------------------------------------ keys


def _all_options(command: click.Command, prefix: str = "") -> Iterator[tuple[str, click.Parameter]]:
    for param in command.params:
        yield prefix, param
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _all_options(sub, f"{prefix} {name}")


def test_no_option_takes_a_key_value() -> None:
    key_options = []
    for where, param in _all_options(cli):
        for opt in getattr(param, "opts", []):
            if "key" in opt.lower() or "secret" in opt.lower() or "private" in opt.lower():
                key_options.append((where, opt))
    assert sorted(key_options) == [("", "--key-env"), ("", "--key-file")]


@pytest.mark.parametrize("option", ["--key-env", "--key-file"])
def test_a_key_pasted_on_the_command_line_is_refused_and_not_echoed(option: str, tmp_path: Path) -> None:
    secret = bytes(dev_account(7).key).hex()
    result = CliRunner(mix_stderr=False).invoke(cli, [option, "0x" + secret, "status"], env={})
    assert result.exit_code == 2
    assert option in result.stderr and "never the key itself" in result.stderr
    assert secret not in result.stdout + result.stderr


def test_key_file_and_missing_key(world: World, tmp_path: Path) -> None:
    key_file = tmp_path / "verifier.key"
    key_file.write_text(bytes(dev_account(0).key).hex() + "\n")
    key_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
    runner = CliRunner(mix_stderr=False)
    env = {k: v for k, v in world.env.items() if not k.endswith("_KEY")}
    env["PYCLAIMS_KEY"] = ""
    shown = runner.invoke(cli, ["--key-file", str(key_file), "--json", "status"], env=env)
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["wallet"] == dev_account(0).address
    missing = runner.invoke(cli, ["--key-env", "NO_SUCH_VARIABLE", "offer", "cancel", "--all"], env=env)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("error: ") and "NO_SUCH_VARIABLE is not set" in missing.stderr
    garbage = runner.invoke(cli, ["--key-env", "BAD", "offer", "cancel", "--all"], env={**env, "BAD": "hello"})
    assert garbage.exit_code == 2 and "does not hold a private key" in garbage.stderr and "hello" not in garbage.stderr


# ------------------------------------------------------------------------------------------------ deploy, attest


def test_deploy_reuses_the_recorded_suite(world: World) -> None:
    again = world.json("deploy", "--save", world.path("deployment.json"))
    assert again["reused"] is True
    assert again["token"] == world.admin.deployment.token


def test_attest_show_revoke_and_restrict(world: World) -> None:
    buyer = world.address("BUYER_KEY")
    shown = world.json("attest", "show", buyer)
    assert shown["eligible"] is True and shown["entity_id"] == 103 and shown["country"] == US
    restricted = world.json("attest", "show", world.address("RESTRICTED_KEY"))
    assert restricted["eligible"] is False and restricted["restricted"] is True
    other = str(dev_account(8).address)
    world.ok("attest", "issue", other, "--entity", "808", "--country", "826", "--flag", "accredited")
    assert world.json("attest", "show", other)["flags"] == ["accredited"]
    world.ok("attest", "revoke", other)
    assert world.json("attest", "show", other)["eligible"] is False
    world.ok("attest", "restrict", "826")
    assert world.admin.is_restricted(826)
    world.ok("attest", "restrict", "826", "--lift")
    assert not world.admin.is_restricted(826)


def test_attest_signed_offline_then_submitted_by_anyone(world: World) -> None:
    wallet = str(dev_account(6).address)
    doc = world.path("attestation.json")
    # Fully offline: the node URL points nowhere; the deployment file and --nonce are all the verifier needs.
    world.ok(
        "--rpc-url",
        "http://127.0.0.1:9",
        "attest",
        "sign",
        wallet,
        "--entity",
        "606",
        "--country",
        "826",
        "--nonce",
        "0",
        "--out",
        doc,
    )
    data = json.loads(Path(doc).read_text())
    assert data["format"] == "pyclaims.attestation" and data["request"]["wallet"] == wallet
    submitted = world.json("attest", "submit", doc, key="OTHER_KEY")
    assert submitted["wallet"] == wallet
    assert world.admin.is_eligible(wallet)
    replay = world.run("attest", "submit", doc, key="OTHER_KEY")
    assert replay.exit_code == 1 and "ClaimTokenInvalidNonce" in replay.stderr


def test_chain_failures_exit_1_with_the_decoded_error(world: World) -> None:
    denied = world.run(
        "attest", "issue", str(dev_account(9).address), "--entity", "9", "--country", "826", key="OTHER_KEY"
    )
    assert denied.exit_code == 1
    assert denied.stderr.startswith("error: the contract reverted: ") and "AccessControlUnauthorizedAccount" in (
        denied.stderr
    )
    assert len(denied.stderr.strip().splitlines()) == 1
    unreachable = world.run("--rpc-url", "http://127.0.0.1:9", "attest", "show", world.address("BUYER_KEY"))
    assert unreachable.exit_code == 1 and "cannot reach the node at http://127.0.0.1:9" in unreachable.stderr


# ------------------------------------------------------------------------------------------------ validate, mint


def test_validate_reports_planted_rows_and_exits_2(world: World, tmp_path: Path) -> None:
    wallets = [str(dev_account(i).address) for i in (1, 2, 3)]
    generated = generate_schedule(wallets, n=20, seed=7)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(generated.csv)
    result = world.run("validate", str(bad), "--restricted", "156,643,364,408,760,192", key=None)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and f"{len(generated.planted)} of" in result.stderr
    first = generated.planted[0]
    assert f"row {first.csv_row}, {first.field}:" in result.stderr
    as_json = world.run("validate", str(bad), "--json", key=None)
    assert as_json.exit_code == 2
    report = json.loads(as_json.stdout)
    assert sorted({e["row"] for e in report["errors"]}) == sorted(p.csv_row for p in generated.planted)
    assert report["accepted"] == 20
    allowed = world.run("validate", str(bad), "--allow-rejects", "--json", key=None)
    assert allowed.exit_code == 0 and json.loads(allowed.stdout)["rejected"] == len(generated.planted)
    good = tmp_path / "good.json"
    good.write_bytes(generate_schedule(wallets, n=12, seed=7, plant_bad_rows=False).json)
    clean = world.json("validate", str(good), "--restricted", "408", key=None)
    assert clean["rejected"] == 0 and clean["accepted"] == 12 and clean["source_format"] == "json"


def test_validate_file_level_problems_exit_2(world: World, tmp_path: Path) -> None:
    missing = tmp_path / "cols.csv"
    missing.write_text("claim_number,estate\nX-1,1\n")
    result = world.run("validate", str(missing), key=None)
    assert result.exit_code == 2 and "row 0, creditor_wallet: required column is missing" in result.stderr
    nowhere = world.run("validate", str(tmp_path / "absent.csv"), key=None)
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.stderr


def test_mint_marked_the_restricted_holder_disputed_and_is_idempotent(world: World) -> None:
    claim = world.admin.claim_of(world.ids["G-7"])
    assert claim.status == ClaimStatus.Disputed and claim.holder == world.address("RESTRICTED_KEY")
    assert world.admin.claim_of(world.ids["A-1"]).status == ClaimStatus.Allowed
    again = world.json("mint", world.path("claims.csv"), "--journal", world.path("mint.journal"))
    assert again["minted"] == 0 and again["already_present"] == len(CLAIMS)
    assert world.admin.claim_count() == len(CLAIMS)


# ------------------------------------------------------------------------------------------------ offers, settlement


def test_offer_create_show_and_fill_an_ask(world: World) -> None:
    cid = world.ids["A-1"]
    doc = world.path("ask-a.json")
    world.ok(
        "offer", "create", "--side", "ask", "--claim", str(cid), "--price", "1000.25", "--out", doc, key="SELLER_KEY"
    )
    shown = world.json("offer", "show", doc, "--onchain", key=None)
    assert shown["side"] == "ask" and shown["price"] == str(1_000_250_000) and shown["fillable"] is True
    assert shown["maker"] == world.address("SELLER_KEY") and shown["expired"] is False
    before = world.admin.stablecoin_balance(world.address("SELLER_KEY"))
    filled = world.json("settle", "fill", doc, key="BUYER_KEY")
    (record,) = filled["settlements"]
    assert record["claim_id"] == cid and record["price_base_units"] == str(1_000_250_000)
    assert world.admin.owner_of(cid) == world.address("BUYER_KEY")
    assert world.admin.stablecoin_balance(world.address("SELLER_KEY")) == before + 1_000_250_000
    again = world.run("settle", "fill", doc, key="BUYER_KEY")
    assert again.exit_code == 1 and "ClaimMarket" in again.stderr


def test_offer_draft_sign_and_cancel(world: World) -> None:
    cid = world.ids["E-5"]
    draft = world.path("draft-e.json")
    world.ok(
        "offer",
        "create",
        "--side",
        "ask",
        "--claim",
        str(cid),
        "--price",
        "700",
        "--unsigned",
        "--out",
        draft,
        key="SELLER_KEY",
    )
    assert json.loads(Path(draft).read_text())["format"] == "pyclaims.order-draft"
    wrong = world.run("offer", "sign", draft, key="BUYER_KEY")
    assert wrong.exit_code == 2 and "order.maker" in wrong.stderr
    signed = world.ok("offer", "sign", draft, key="SELLER_KEY").stdout
    doc = Path(world.path("ask-e.json"))
    doc.write_text(signed)
    not_mine = world.run("offer", "cancel", str(doc), key="BUYER_KEY")
    assert not_mine.exit_code == 2 and "only the maker cancels" in not_mine.stderr
    world.ok("offer", "cancel", str(doc), key="SELLER_KEY")
    assert world.json("offer", "show", str(doc), "--onchain", key=None)["fillable"] is False
    refused = world.run("settle", "fill", str(doc), key="BUYER_KEY")
    assert refused.exit_code == 1 and "ClaimMarketOrderCancelled" in refused.stderr


def test_two_asks_fill_in_one_batch(world: World) -> None:
    docs = []
    for name, price in (("C-3", "2900"), ("D-4", "4300.5")):
        doc = world.path(f"ask-{name}.json")
        world.ok(
            "offer",
            "create",
            "--side",
            "ask",
            "--claim",
            str(world.ids[name]),
            "--price",
            price,
            "--out",
            doc,
            key="SELLER_KEY",
        )
        docs.append(doc)
    filled = world.json("settle", "fill", *docs, key="BUYER_KEY")
    records = filled["settlements"]
    assert [r["claim_id"] for r in records] == [world.ids["C-3"], world.ids["D-4"]]
    assert len({r["tx_hash"] for r in records}) == 1  # one all-or-nothing transaction
    assert world.admin.owner_of(world.ids["D-4"]) == world.address("BUYER_KEY")


def test_selling_into_an_escrowed_bid_shows_the_valuation_and_needs_confirmation(world: World) -> None:
    cid = world.ids["B-2"]
    doc = world.path("bid-b.json")
    world.ok("offer", "create", "--side", "bid", "--claim", str(cid), "--price", "45000", "--out", doc, key="BUYER_KEY")
    deposited = world.json("settle", "deposit", doc, key="BUYER_KEY")
    assert deposited["escrowed"] == str(45_000 * USD)
    rounds = ["--round", "2099-01-01:54%:90%", "--round", "2099-06-01:100%:50%"]
    no_view = world.run("settle", "fill", doc, key="SELLER2_KEY")
    assert no_view.exit_code == 2 and "--round" in no_view.stderr
    no_tty = world.run("settle", "fill", doc, *rounds, key="SELLER2_KEY")
    assert no_tty.exit_code == 2 and "stdin is not a terminal" in no_tty.stderr
    assert "Value of holding" in no_tty.stderr and "Offer $45,000.00" in no_tty.stderr
    assert world.admin.owner_of(cid) == world.address("SELLER2_KEY")  # nothing was sent
    sold = world.json("settle", "fill", doc, *rounds, "--yes", key="SELLER2_KEY")
    (record,) = sold["settlements"]
    assert record["escrowed"] is True and record["price_base_units"] == str(45_000 * USD)
    assert world.admin.owner_of(cid) == world.address("BUYER_KEY")
    assert world.admin.deposit_of(bytes.fromhex(record["order_hash"][2:])).amount == 0


def test_deposit_and_withdraw(world: World) -> None:
    cid = world.ids["H-8"]
    doc = world.path("bid-h.json")
    world.ok("offer", "create", "--side", "bid", "--claim", str(cid), "--price", "60000", "--out", doc, key="BUYER_KEY")
    world.ok("settle", "deposit", doc, key="BUYER_KEY")
    status = world.json("status", key="BUYER_KEY")
    assert any(d["amount"] == str(60_000 * USD) for d in status["deposits"])
    before = world.admin.stablecoin_balance(world.address("BUYER_KEY"))
    order_hash = world.json("offer", "show", doc, key=None)["order_hash"]
    out = world.json("settle", "withdraw", order_hash, key="BUYER_KEY")
    assert out["withdrawn"] == str(60_000 * USD)
    assert world.admin.stablecoin_balance(world.address("BUYER_KEY")) == before + 60_000 * USD


def test_class_bid_filled_with_a_named_claim(world: World) -> None:
    cid = world.ids["F-6"]
    doc = world.path("classbid.json")
    world.ok(
        "offer",
        "create",
        "--side",
        "bid",
        "--class",
        "1",
        "--rate",
        "80%",
        "--max-amount",
        "10000",
        "--approve",
        "--out",
        doc,
        key="BUYER_KEY",
    )
    assert world.admin.allowance(world.address("BUYER_KEY"), world.admin.deployment.market) >= 8_000 * USD
    need_claim = world.run("settle", "fill", doc, "--yes", key="SELLER2_KEY")
    assert need_claim.exit_code == 2 and "@CLAIM_ID" in need_claim.stderr
    sold = world.json("settle", "fill", f"{doc}@{cid}", "--yes", "--round", "2099-01-01:72%", key="SELLER2_KEY")
    (record,) = sold["settlements"]
    assert record["claim_id"] == cid and record["price_base_units"] == str(2_500 * USD * 80 // 100)


def test_bad_input_names_the_field_and_exits_2(world: World, tmp_path: Path) -> None:
    exponent = world.run("offer", "create", "--side", "ask", "--claim", "1", "--price", "1e5", key="SELLER_KEY")
    assert exponent.exit_code == 2 and "--price" in exponent.stderr and "exponent" in exponent.stderr
    cents = world.run("value", "--allowed", "10.1234567", "--round", "2099-01-01:50%", key=None)
    assert cents.exit_code == 2 and "--allowed" in cents.stderr and "7 decimal places" in cents.stderr
    rate = world.run("round", "plan", "--class", "1", "--rate", "72.5x", key=None)
    assert rate.exit_code == 2 and "--rate" in rate.stderr
    doc = world.path("ask-a.json")
    tampered = json.loads(Path(doc).read_text())
    tampered["order"]["price"] = "1"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(tampered))
    result = world.run("offer", "show", str(forged), key=None)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {forged}: orderHash:")
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    result = world.run("settle", "fill", str(garbage), key="BUYER_KEY")
    assert result.exit_code == 2 and "document: not valid JSON" in result.stderr


# ------------------------------------------------------------------------------------------------ value, rounds, status


def test_value_offline_and_against_an_offer(world: World) -> None:
    offline = world.json(
        "value",
        "--allowed",
        "10000",
        "--round",
        "2099-01-01:50%",
        "--discount-rate",
        "0%",
        "--date",
        "2098-01-01",
        key=None,
    )
    assert offline["hold_value"] == str(5_000 * USD) and offline["expected_payments"] == str(5_000 * USD)
    doc = world.path("bid-i.json")
    world.ok(
        "offer",
        "create",
        "--side",
        "bid",
        "--claim",
        str(world.ids["I-9"]),
        "--price",
        "500",
        "--out",
        doc,
        key="BUYER_KEY",
    )
    view = world.json(
        "value",
        "--claim",
        str(world.ids["I-9"]),
        "--offer",
        doc,
        "--round",
        "2099-01-01:100%",
        "--discount-rate",
        "0%",
        key=None,
    )
    assert view["hold_value"] == str(640 * USD)
    assert view["offer"]["price"] == str(500 * USD) and view["offer"]["worth_selling"] is False
    text = world.ok(
        "value",
        "--claim",
        str(world.ids["I-9"]),
        "--offer",
        doc,
        "--round",
        "2099-01-01:100%",
        "--discount-rate",
        "0%",
        key=None,
    ).stdout
    assert "Value of holding" in text and "below" in text


def test_rounds_plan_declare_pay_resolve_reconcile(world: World) -> None:
    plan = world.json("round", "plan", "--class", "1", "--rate", "72%", key=None)
    amounts = {n: usd_to_base_units(a) for n, _, a in CLAIMS}
    conv = [cid for name, cid in world.ids.items() if amounts[name] < 50_000 * USD]
    assert plan["claims"] == len(conv) and plan["rate_delta_ppm"] == 720_000
    withheld = world.ids["G-7"]
    assert plan["disputed_reserve_base_units"] == str(1_000 * USD * 72 // 100)
    declared = world.json("round", "declare", "--class", "1", "--rate", "72%")
    rid = declared["round_id"]
    assert declared["funded"] == plan["funding_base_units"]
    journal = world.path("payouts.journal")
    paid = world.json("round", "pay", str(rid), "--journal", journal, "--batch-size", "3", key="OTHER_KEY")
    assert paid["withheld"] == [withheld] and paid["paid"] == len(conv) - 1 and paid["unpaid"] == []
    again = world.json("round", "pay", str(rid), "--journal", journal, key="OTHER_KEY")
    assert again["paid"] == 0 and again["transactions"] == 0  # exactly once
    before = world.json("round", "reconcile", str(rid), key=None)
    assert before["balanced"] is True and before["rounds"][0]["withheld"] == str(1_000 * USD * 72 // 100)
    no_outcome = world.run("round", "resolve", str(withheld))
    assert no_outcome.exit_code == 2 and "--allow or --expunge" in no_outcome.stderr
    resolved = world.json("round", "resolve", str(withheld), "--allow")
    (settled,) = resolved["settled"]
    assert settled["kind"] == "released" and settled["recipient"] == world.address("RESTRICTED_KEY")
    assert settled["amount"] == str(1_000 * USD * 72 // 100)
    assert world.admin.claim_of(withheld).status == ClaimStatus.Allowed
    reconciled = world.json("round", "reconcile", str(rid), key=None)
    (books,) = reconciled["rounds"]
    assert reconciled["balanced"] is True and books["withheld"] == "0" and books["owed"] == "0"
    parts = sum(int(books[k]) for k in ("paid", "returned", "withheld", "owed", "dust"))
    assert int(books["funded"]) == parts and reconciled["unexplained"] == "0"
    shown = world.json("round", "show", key=None)
    assert [r["round_id"] for r in shown] == [rid] and shown[0]["released"] == settled["amount"]
    assert "round 1" in world.ok("round", "show", key=None).stdout


def test_status_lists_claims_balance_and_rounds(world: World) -> None:
    status = world.json("status", world.address("SELLER_KEY"), key=None)
    held = {c["claim_id"] for c in status["claims"]}
    assert world.ids["E-5"] in held and world.ids["A-1"] not in held
    assert status["eligible"] is True
    assert int(status["stablecoin_balance"]) == world.admin.stablecoin_balance(world.address("SELLER_KEY"))
    text = world.ok("status", world.address("BUYER_KEY"), key=None).stdout
    assert "eligible" in text and "claims:" in text
    needs_wallet = CliRunner(mix_stderr=False).invoke(cli, ["status"], env={**world.env, "PYCLAIMS_KEY": ""})
    assert needs_wallet.exit_code == 2 and "WALLET" in needs_wallet.stderr
