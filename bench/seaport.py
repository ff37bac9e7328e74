"""Seaport 1.6 for the bench: compile from npm, the order's EIP-712 types, signing, ``BasicOrderParameters``.

Seaport's code and artifacts are never committed: ``seaport-core`` (with ``seaport-types``) is compiled from
``node_modules`` with Seaport's own release settings and cached under ``bench/.cache/``. The EIP-712 type
strings are read from the installed ``seaport-core`` sources (``ConsiderationBase._deriveTypehashes``), not
copied here, and the resulting order hash is checked against the deployed contract's ``getOrderHash``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress

from bench.errors import BenchError
from bench.solidity import PROJECT_ROOT, SEAPORT_SETTINGS, CompileResult, compile_contracts

__all__ = [
    "CONDUIT_CONTROLLER_SOURCE",
    "SEAPORT_NAME",
    "SEAPORT_SOURCE",
    "SEAPORT_VERSION",
    "BasicOrderType",
    "ItemType",
    "SeaportListing",
    "compile_seaport",
    "eip712_types",
    "order_components_tuple",
]

SEAPORT_SOURCE = "seaport-core/src/Seaport.sol"
CONDUIT_CONTROLLER_SOURCE = "seaport-core/src/conduit/ConduitController.sol"
SEAPORT_NAME = "Seaport"
SEAPORT_VERSION = "1.6"
_BASE_SOURCE = PROJECT_ROOT / "node_modules" / "seaport-core" / "src" / "lib" / "ConsiderationBase.sol"


class ItemType(IntEnum):
    """``seaport-types`` ``ItemType``."""

    NATIVE = 0
    ERC20 = 1
    ERC721 = 2
    ERC1155 = 3


class BasicOrderType(IntEnum):
    """The ``BasicOrderType`` values the bench uses (route ``ERC20_TO_ERC721`` = 2, times 4, plus order type)."""

    ERC20_TO_ERC721_FULL_OPEN = 8


def compile_seaport() -> CompileResult:
    """Seaport and ConduitController, compiled with solc 0.8.24, viaIR, runs 4294967295, cancun (cached)."""
    return compile_contracts([SEAPORT_SOURCE, CONDUIT_CONTROLLER_SOURCE], SEAPORT_SETTINGS)


_STRING_RUN = re.compile(r'(?:"[^"\n]*"\s*)+')
_TYPE_STRING = re.compile(r"^(\w+)\(([^()]*)\)$")


def eip712_types() -> dict[str, list[dict[str, str]]]:
    """``OrderComponents``, ``OfferItem`` and ``ConsiderationItem`` as eth-account EIP-712 type lists.

    Parsed from the type strings in the installed ``seaport-core`` (adjacent string literals joined).
    """
    try:
        text = _BASE_SOURCE.read_text(encoding="utf-8")
    except OSError as exc:
        raise BenchError(f"seaport-core: cannot read {_BASE_SOURCE} ({exc}); run npm ci") from exc
    found: dict[str, list[dict[str, str]]] = {}
    for run in _STRING_RUN.finditer(text):
        joined = "".join(re.findall(r'"([^"\n]*)"', run.group(0)))
        match = _TYPE_STRING.match(joined)
        if match is None or match.group(1) not in ("OrderComponents", "OfferItem", "ConsiderationItem"):
            continue
        fields = []
        for member in match.group(2).split(","):
            type_, name = member.strip().split(" ")
            fields.append({"name": name, "type": type_})
        found[match.group(1)] = fields
    missing = {"OrderComponents", "OfferItem", "ConsiderationItem"} - set(found)
    if missing:
        raise BenchError(f"seaport-core: type strings {sorted(missing)} not found in {_BASE_SOURCE}")
    return found


@dataclass(frozen=True)
class SeaportListing:
    """A seller's ERC-721 listing for an ERC-20 price, without fees, zone or conduit (a basic order).

    Attributes:
        offerer: the seller, who signs.
        nft: the ERC-721 contract; ``token_id`` the item sold.
        currency: the ERC-20 paid; ``price`` in its base units, all to the offerer.
        start_time, end_time: the order's validity window (unix seconds).
        salt: makes the order unique; ``counter`` the offerer's Seaport counter.
    """

    offerer: ChecksumAddress
    nft: ChecksumAddress
    token_id: int
    currency: ChecksumAddress
    price: int
    start_time: int
    end_time: int
    salt: int
    counter: int

    def __post_init__(self) -> None:
        for name in ("token_id", "price", "salt", "counter", "start_time", "end_time"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: must be a non-negative integer, got {value!r}")
        if self.price == 0:
            raise ValueError("price: must be positive")
        if self.end_time <= self.start_time:
            raise ValueError(f"end_time: must be after start_time ({self.end_time} <= {self.start_time})")

    def order_components(self) -> dict[str, Any]:
        """The signed ``OrderComponents`` value."""
        zero32 = b"\x00" * 32
        return {
            "offerer": self.offerer,
            "zone": "0x" + "00" * 20,
            "offer": [
                {
                    "itemType": int(ItemType.ERC721),
                    "token": self.nft,
                    "identifierOrCriteria": self.token_id,
                    "startAmount": 1,
                    "endAmount": 1,
                }
            ],
            "consideration": [
                {
                    "itemType": int(ItemType.ERC20),
                    "token": self.currency,
                    "identifierOrCriteria": 0,
                    "startAmount": self.price,
                    "endAmount": self.price,
                    "recipient": self.offerer,
                }
            ],
            "orderType": 0,  # FULL_OPEN
            "startTime": self.start_time,
            "endTime": self.end_time,
            "zoneHash": zero32,
            "salt": self.salt,
            "conduitKey": zero32,
            "counter": self.counter,
        }

    def typed_data(self, *, chain_id: int, seaport: ChecksumAddress) -> dict[str, Any]:
        """The full EIP-712 message (domain ``Seaport``/``1.6``)."""
        types: dict[str, Any] = {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **eip712_types(),
        }
        return {
            "types": types,
            "primaryType": "OrderComponents",
            "domain": {
                "name": SEAPORT_NAME,
                "version": SEAPORT_VERSION,
                "chainId": chain_id,
                "verifyingContract": seaport,
            },
            "message": self.order_components(),
        }

    def order_hash(self, *, chain_id: int, seaport: ChecksumAddress) -> bytes:
        """The EIP-712 struct hash of the order (what Seaport's ``getOrderHash`` returns)."""
        signable = encode_typed_data(full_message=self.typed_data(chain_id=chain_id, seaport=seaport))
        return bytes(signable.body)  # EIP-712: header = domain separator, body = hashStruct(message)

    def sign(self, signer: LocalAccount, *, chain_id: int, seaport: ChecksumAddress) -> bytes:
        """The offerer's 65-byte ECDSA signature ``r || s || v`` over the order."""
        if signer.address != self.offerer:
            raise ValueError(f"signer: {signer.address} is not the offerer {self.offerer}")
        signed = signer.sign_message(
            encode_typed_data(full_message=self.typed_data(chain_id=chain_id, seaport=seaport))
        )
        return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])

    def basic_order_parameters(self, signature: bytes) -> tuple[Any, ...]:
        """``BasicOrderParameters`` for ``fulfillBasicOrder`` (route ERC20_TO_ERC721, full open, no recipients)."""
        if len(signature) not in (64, 65):
            raise ValueError(f"signature: must be 64 or 65 bytes, got {len(signature)}")
        zero32 = b"\x00" * 32
        return (
            self.currency,  # considerationToken
            0,  # considerationIdentifier
            self.price,  # considerationAmount
            self.offerer,  # offerer
            "0x" + "00" * 20,  # zone
            self.nft,  # offerToken
            self.token_id,  # offerIdentifier
            1,  # offerAmount
            int(BasicOrderType.ERC20_TO_ERC721_FULL_OPEN),  # basicOrderType
            self.start_time,
            self.end_time,
            zero32,  # zoneHash
            self.salt,
            zero32,  # offererConduitKey
            zero32,  # fulfillerConduitKey
            0,  # totalOriginalAdditionalRecipients
            [],  # additionalRecipients
            signature,
        )


def order_components_tuple(components: Mapping[str, Any]) -> tuple[Any, ...]:
    """``OrderComponents`` as the positional tuple web3 encodes (for ``getOrderHash``)."""
    return (
        components["offerer"],
        components["zone"],
        [tuple(item.values()) for item in components["offer"]],
        [tuple(item.values()) for item in components["consideration"]],
        components["orderType"],
        components["startTime"],
        components["endTime"],
        components["zoneHash"],
        components["salt"],
        components["conduitKey"],
        components["counter"],
    )
