"""The contract artifacts shipped in ``pyclaims/abi/`` and a small ABI codec over them.

The artifacts are written by ``tools/export_abi.py`` from the Solidity sources (solc 0.8.28, optimizer 10,000
runs, ``cancun``) and checked against them by ``tests/sdk/test_abi_drift.py``. Each holds the ABI, the runtime
code as compiled (immutables zeroed) with the byte ranges of its immutables, and for the two deployables
(``ClaimToken``, ``MockUSDC``) the creation code.

The codec encodes calls and decodes results and logs with ``eth_abi`` directly (no web3 ``Contract`` objects
in the hot paths). :func:`runtime_matches` tells whether code read from a chain is one of ours whatever its
immutables and metadata hash are.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, cast

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address as _eth_checksum
from eth_utils.crypto import keccak

__all__ = [
    "CONTRACT_NAMES",
    "Artifact",
    "ContractAbi",
    "Event",
    "Function",
    "artifact",
    "contract_abi",
    "mask_metadata",
    "runtime_matches",
]

CONTRACT_NAMES: Final = ("ClaimToken", "ClaimMarket", "ClaimDistributor", "MockUSDC")
"""Every contract whose artifact the package ships."""

# solc's CBOR metadata with an IPFS hash: a2 64 "ipfs" 58 22 <34-byte multihash> 64 "solc" 43 <3 bytes> 00 33.
_METADATA = re.compile(rb"\xa2\x64ipfs\x58\x22(.{34})\x64solc\x43...\x00\x33", re.DOTALL)


@functools.lru_cache(maxsize=65_536)
def to_checksum_address(value: str | bytes) -> str:
    """EIP-55 form of an address, cached: decoded logs and results repeat the same few addresses, and
    eth-utils' checksum (a keccak per call) was most of the cost of decoding a receipt."""
    return str(_eth_checksum(value))


def mask_metadata(code: bytes) -> bytes:
    """``code`` with the hash of every embedded CBOR metadata blob zeroed (nested creation code included)."""
    return _METADATA.sub(lambda m: m.group(0)[:8] + bytes(34) + m.group(0)[42:], code)


@dataclass(frozen=True)
class Artifact:
    """One shipped contract artifact.

    Attributes:
        name: the contract name.
        source: its source file in the repository.
        abi: the ABI (a tuple of JSON objects).
        bytecode: the creation code (deployables only), else ``None``.
        runtime: the runtime code as compiled, immutables zeroed.
        immutable_ranges: ``(start, length)`` byte ranges of the immutables in the runtime code.
        compiler: the compiler settings it was built with.
    """

    name: str
    source: str
    abi: tuple[Mapping[str, Any], ...] = field(repr=False)
    bytecode: bytes | None = field(repr=False)
    runtime: bytes = field(repr=False)
    immutable_ranges: tuple[tuple[int, int], ...] = field(repr=False)
    compiler: Mapping[str, Any] = field(repr=False)


def _hex(text: object, what: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ValueError(f"{what}: expected 0x hex, got {type(text).__name__}")
    return bytes.fromhex(text[2:])


@functools.cache
def artifact(name: str) -> Artifact:
    """The shipped artifact of ``name`` (one of :data:`CONTRACT_NAMES`)."""
    if name not in CONTRACT_NAMES:
        raise ValueError(f"name: unknown contract {name!r} (known: {', '.join(CONTRACT_NAMES)})")
    text = resources.files("pyclaims").joinpath("abi", f"{name}.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    bytecode = doc.get("bytecode")
    return Artifact(
        name=name,
        source=str(doc["sourceName"]),
        abi=tuple(doc["abi"]),
        bytecode=None if bytecode is None else _hex(bytecode, f"{name}.bytecode"),
        runtime=_hex(doc["deployedBytecode"], f"{name}.deployedBytecode"),
        immutable_ranges=tuple((int(s), int(n)) for s, n in doc["immutableReferences"]),
        compiler=dict(doc["compiler"]),
    )


def runtime_matches(name: str, code: bytes) -> bool:
    """Whether ``code`` (read with ``eth_getCode``) is the runtime code of the shipped ``name``.

    Immutables (addresses fixed at construction) and metadata hashes (which cover source paths, so differ
    between forge, Ape and this package's builds) are ignored; every other byte must be equal.
    """
    art = artifact(name)
    if len(code) != len(art.runtime):
        return False
    masked = bytearray(code)
    for start, length in art.immutable_ranges:
        masked[start : start + length] = bytes(length)
    return mask_metadata(bytes(masked)) == mask_metadata(art.runtime)


def _type(item: Mapping[str, Any]) -> str:
    return str(collapse_if_tuple(dict(item)))


def _name(item: Mapping[str, Any], value: Any) -> Any:
    """A decoded value with structs (and arrays of structs) turned into dicts keyed by component name, and
    addresses checksummed."""
    kind = str(item.get("type", ""))
    if kind == "address":
        return to_checksum_address(value)
    if kind == "address[]":
        return [to_checksum_address(v) for v in value]
    if not kind.startswith("tuple"):
        return value
    components = item.get("components", [])
    if kind != "tuple":  # tuple[] / tuple[n]
        element = dict(item, type="tuple")
        return [_name(element, v) for v in value]
    return {str(c["name"]): _name(c, v) for c, v in zip(components, value, strict=True)}


@dataclass(frozen=True)
class Function:
    """One ABI function: its selector and how to encode its arguments and decode its results."""

    name: str
    signature: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]
    mutability: str
    outputs: tuple[Mapping[str, Any], ...] = field(default=(), repr=False, compare=False)

    def encode(self, *args: Any) -> bytes:
        """Call data: selector and ABI-encoded arguments."""
        if len(args) != len(self.input_types):
            raise TypeError(f"{self.signature}: expected {len(self.input_types)} arguments, got {len(args)}")
        return self.selector + abi_encode(list(self.input_types), list(args))

    def decode(self, data: bytes) -> tuple[Any, ...]:
        """The decoded return values (structs as tuples)."""
        return tuple(abi_decode(list(self.output_types), data))

    def decode_named(self, data: bytes) -> tuple[Any, ...]:
        """The decoded return values with every struct as a ``{component name: value}`` dict."""
        values = self.decode(data)
        return tuple(_name(item, value) for item, value in zip(self.outputs, values, strict=True))


@dataclass(frozen=True)
class Event:
    """One ABI event: its topic and how to decode a log of it into ``{parameter name: value}``."""

    name: str
    signature: str
    topic: bytes
    inputs: tuple[tuple[str, str, bool], ...]

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        """Decode a log's topics (topic 0 included) and data (addresses checksummed)."""
        indexed = [(n, t) for n, t, i in self.inputs if i]
        plain = [(n, t) for n, t, i in self.inputs if not i]
        if len(topics) != len(indexed) + 1:
            raise ValueError(f"{self.name}: expected {len(indexed) + 1} topics, got {len(topics)}")
        out: dict[str, Any] = {}
        for (pname, ptype), topic in zip(indexed, topics[1:], strict=True):
            (value,) = abi_decode([ptype], bytes(topic))
            out[pname] = to_checksum_address(value) if ptype == "address" else value
        values = abi_decode([t for _, t in plain], data) if plain else ()
        for (pname, ptype), value in zip(plain, values, strict=True):
            out[pname] = to_checksum_address(value) if ptype == "address" else value
        return out


class ContractAbi:
    """The functions and events of one shipped contract, by name (or full signature for overloads)."""

    def __init__(self, name: str, abi: Sequence[Mapping[str, Any]]) -> None:
        self.name = name
        self.abi = tuple(abi)
        self._functions: dict[str, Function] = {}
        by_name: dict[str, list[Function]] = {}
        self._events: dict[bytes, Event] = {}
        self._events_by_name: dict[str, Event] = {}
        for item in abi:
            kind = item.get("type")
            if kind == "function":
                inputs = tuple(_type(i) for i in item.get("inputs", []))
                signature = f"{item['name']}({','.join(inputs)})"
                fn = Function(
                    name=str(item["name"]),
                    signature=signature,
                    selector=bytes(keccak(text=signature)[:4]),
                    input_types=inputs,
                    output_types=tuple(_type(o) for o in item.get("outputs", [])),
                    mutability=str(item.get("stateMutability", "nonpayable")),
                    outputs=tuple(item.get("outputs", [])),
                )
                self._functions[signature] = fn
                by_name.setdefault(fn.name, []).append(fn)
            elif kind == "event" and not item.get("anonymous", False):
                params = tuple((str(i["name"]), _type(i), bool(i.get("indexed"))) for i in item.get("inputs", []))
                signature = f"{item['name']}({','.join(t for _, t, _ in params)})"
                event = Event(str(item["name"]), signature, bytes(keccak(text=signature)), params)
                self._events[event.topic] = event
                self._events_by_name[event.name] = event
        for fname, fns in by_name.items():
            if len(fns) == 1:
                self._functions[fname] = fns[0]

    def function(self, name: str) -> Function:
        """The function called ``name`` (an overloaded one by its full signature, ``f(uint256,address)``)."""
        fn = self._functions.get(name)
        if fn is None:
            raise KeyError(f"{self.name} has no function {name!r} (overloaded functions need the full signature)")
        return fn

    def encode(self, name: str, *args: Any) -> bytes:
        """Call data of ``name(*args)``."""
        return self.function(name).encode(*args)

    def event(self, name: str) -> Event:
        """The event called ``name``."""
        try:
            return self._events_by_name[name]
        except KeyError:
            raise KeyError(f"{self.name} has no event {name!r}") from None

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event."""
        return tuple(self._events.values())

    def decode_log(self, topics: Sequence[bytes], data: bytes) -> tuple[str, dict[str, Any]] | None:
        """``(event name, arguments)`` of a log of this contract, or ``None`` for an unknown topic."""
        if not topics:
            return None
        event = self._events.get(bytes(topics[0]))
        if event is None:
            return None
        return event.name, event.decode(topics, data)


@functools.cache
def contract_abi(name: str) -> ContractAbi:
    """The codec of the shipped contract ``name``."""
    return ContractAbi(name, cast(Sequence[Mapping[str, Any]], artifact(name).abi))
