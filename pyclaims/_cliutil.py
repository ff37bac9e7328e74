"""Parsing and output helpers for the ``pyclaims`` command line (:mod:`pyclaims.cli`).

Kept apart from the commands so they can be unit-tested and reused: click parameter types for money (USD text
to integer base units), rates (``"72%"`` or ppm to ppm), dates, addresses and expected rounds; private-key
loading from an environment variable or a file (never from the command line); and JSON output where every
integer amount is a decimal string.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import click
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_checksum_address, to_checksum_address

from pyclaims.types import RATE_SCALE, AmountFormatError, usd_to_base_units
from pyclaims.valuation import ExpectedRound

__all__ = [
    "ADDRESS",
    "DATE",
    "KEY_ENV_DEFAULT",
    "RATE",
    "ROUND",
    "USD",
    "AddressType",
    "DateType",
    "ExpectedRoundType",
    "KeySource",
    "RateType",
    "UsdType",
    "dumps",
    "jsonable",
    "load_key",
]

KEY_ENV_DEFAULT: Final = "PYCLAIMS_KEY"
"""The environment variable read for the signing key when neither ``--key-env`` nor ``--key-file`` is given."""

_HEX_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_PPM = re.compile(r"\d+")


class UsdType(click.ParamType):
    """A USD amount as text (``"1234.56"``, at most 6 decimals) → integer base units (> 0 unless ``allow_zero``)."""

    name = "usd"

    def __init__(self, *, allow_zero: bool = False) -> None:
        self.allow_zero = allow_zero

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            units = usd_to_base_units(str(value))
        except AmountFormatError as exc:
            self.fail(exc.reason + f" (got {value!r}; write dollars like 1234.56)", param, ctx)
        if units == 0 and not self.allow_zero:
            self.fail("must be more than zero", param, ctx)
        return units


class RateType(click.ParamType):
    """A share as ``"72%"`` / ``"12.5%"`` (at most 4 decimals) or as integer ppm (``"720000"``) → ppm."""

    name = "rate"

    def __init__(self, *, maximum: int | None = None) -> None:
        self.maximum = maximum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            ppm = value
        else:
            text = str(value).strip()
            match = _PERCENT.fullmatch(text)
            if match:
                try:
                    exact = Decimal(match.group(1)) * (RATE_SCALE // 100)
                except InvalidOperation:  # pragma: no cover - the regex only lets digits through
                    self.fail(f"{text!r} is not a percentage", param, ctx)
                if exact != exact.to_integral_value():
                    self.fail(f"{text!r} has more than 4 decimals (1 ppm = 0.0001%)", param, ctx)
                ppm = int(exact)
            elif _PPM.fullmatch(text):
                ppm = int(text)
            else:
                self.fail(f"{text!r} is neither a percentage like 72% nor an integer ppm like 720000", param, ctx)
        if ppm < 0:
            self.fail("must not be negative", param, ctx)
        if self.maximum is not None and ppm > self.maximum:
            self.fail(f"must be at most {self.maximum} ppm ({self.maximum * 100 / RATE_SCALE:g}%)", param, ctx)
        return ppm


class DateType(click.ParamType):
    """An ISO date (``2026-03-31``) or ``+N`` days from today."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if re.fullmatch(r"\+\d{1,5}", text):
            return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=int(text[1:]))
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a date (YYYY-MM-DD, or +N for N days from today)", param, ctx)


class AddressType(click.ParamType):
    """A 0x address: EIP-55 checksummed, or all lowercase (checksummed here); never the zero address."""

    name = "address"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text):
            self.fail(f"{text!r} is not an address (0x followed by 40 hex digits)", param, ctx)
        if int(text, 16) == 0:
            self.fail("must not be the zero address", param, ctx)
        body = text[2:]
        if body != body.lower() and body != body.upper() and not is_checksum_address(text):
            self.fail(f"{text} fails its EIP-55 checksum (a typo or a changed letter case?)", param, ctx)
        return str(to_checksum_address(text))


class ExpectedRoundType(click.ParamType):
    """An expected future round ``DATE:RATE[:PROBABILITY]``: ``2026-06-30:72%:90%`` (cumulative rate, chance)."""

    name = "round"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> ExpectedRound:
        if isinstance(value, ExpectedRound):
            return value
        parts = str(value).split(":")
        if len(parts) not in (2, 3):
            self.fail(f"{value!r} is not DATE:RATE[:PROBABILITY], e.g. 2026-06-30:72%:90%", param, ctx)
        date = DATE.convert(parts[0], param, ctx)
        rate = RATE.convert(parts[1], param, ctx)
        probability = RateType(maximum=RATE_SCALE).convert(parts[2], param, ctx) if len(parts) == 3 else RATE_SCALE
        return ExpectedRound(date=date, rate_ppm=rate, probability_ppm=probability)


USD = UsdType()
RATE = RateType()
DATE = DateType()
ADDRESS = AddressType()
ROUND = ExpectedRoundType()


# ------------------------------------------------------------------------------------------------ keys


@dataclass(frozen=True)
class KeySource:
    """Where the signing key comes from: an environment variable's name or a file path (never the key itself).

    Attributes:
        env: the environment variable's name, or ``None``.
        file: the key file, or ``None``.
    """

    env: str | None = None
    file: Path | None = None

    def describe(self) -> str:
        """Where the key is read from, for messages."""
        if self.file is not None:
            return f"key file {self.file}"
        return f"environment variable {self.env or KEY_ENV_DEFAULT}"


def check_key_env_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--key-env`` callback: a variable *name*; refuses what looks like a key pasted on the command line."""
    if value is None:
        return None
    if _HEX_KEY.fullmatch(value):
        raise click.BadParameter(
            "give the NAME of an environment variable that holds the key, never the key itself "
            "(a key on the command line ends up in the shell history and in the process list)",
            ctx,
            param,
        )
    if not _ENV_NAME.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not an environment variable name", ctx, param)
    return value


def check_key_file(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """``--key-file`` callback: a path; refuses what looks like a key pasted on the command line."""
    if value is None:
        return None
    if _HEX_KEY.fullmatch(value) and not Path(value).exists():
        raise click.BadParameter(
            "give the PATH of a file that holds the key, never the key itself "
            "(a key on the command line ends up in the shell history and in the process list)",
            ctx,
            param,
        )
    return Path(value)


class KeySourceError(click.ClickException):
    """The signing key is missing or malformed (exit code 2: bad input)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def load_key(source: KeySource) -> LocalAccount:
    """Read the private key from ``source`` (64 hex digits, optional ``0x``; surrounding whitespace ignored).

    Raises:
        KeySourceError: the variable is unset, the file is unreadable, or the content is not a key. The message
            never contains the content.
    """
    if source.file is not None:
        try:
            mode = source.file.stat().st_mode
            text = source.file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise KeySourceError(f"--key-file: cannot read {source.file}: {exc.strerror or exc}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            click.echo(
                f"warning: key file {source.file} is readable by other users (chmod 600 {source.file})", err=True
            )
        where = f"--key-file {source.file}"
    else:
        name = source.env or KEY_ENV_DEFAULT
        raw = os.environ.get(name)
        if raw is None:
            hint = "" if source.env else " (or pass --key-env NAME / --key-file PATH)"
            raise KeySourceError(f"the signing key: environment variable {name} is not set{hint}")
        text = raw.strip()
        where = f"environment variable {name}"
    if not _HEX_KEY.fullmatch(text):
        raise KeySourceError(f"{where}: does not hold a private key (64 hex digits, optionally 0x-prefixed)")
    try:
        account: LocalAccount = Account.from_key(text if text.startswith("0x") else "0x" + text)
    except ValueError:
        raise KeySourceError(f"{where}: not a valid secp256k1 private key") from None
    return account


# ------------------------------------------------------------------------------------------------ output


def jsonable(value: Any) -> Any:
    """A JSON-ready copy: ints stay ints only when they are safe for every JSON reader (< 2**53), bigger ones
    become decimal strings; bytes become 0x hex; dates ISO text; Paths strings; tuples/sets lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        return [jsonable(v) for v in items]
    if hasattr(value, "hex") and callable(value.hex):  # HexBytes
        return "0x" + bytes(value).hex()
    return str(value)


def dumps(value: Any) -> str:
    """``jsonable(value)`` as indented JSON text."""
    return json.dumps(jsonable(value), indent=2)
