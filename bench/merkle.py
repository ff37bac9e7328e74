"""The Uniswap MerkleDistributor tree, built in Python exactly as ``@uniswap/merkle-distributor`` does.

Leaf: ``keccak256(abi.encodePacked(uint256 index, address account, uint256 amount))``. Leaves are sorted
(bytewise) and de-duplicated; each level hashes pairs in sorted order (``keccak256(min(a,b) ++ max(a,b))``,
what ``MerkleProof.verify`` checks); an odd element at the end of a level moves up unchanged and gets no
sibling in the proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from eth_typing import ChecksumAddress
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak

__all__ = ["BalanceTree", "Entitlement", "bench_entitlements", "leaf_hash", "verify_proof"]


@dataclass(frozen=True)
class Entitlement:
    """One leaf: ``account`` may claim ``amount`` base units with ``index``."""

    index: int
    account: ChecksumAddress
    amount: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < 2**256:
            raise ValueError(f"index: must be a uint256, got {self.index}")
        if not 0 <= self.amount < 2**256:
            raise ValueError(f"amount: must be a uint256, got {self.amount}")


def leaf_hash(entry: Entitlement) -> bytes:
    """``keccak256(abi.encodePacked(index, account, amount))``."""
    return keccak(
        entry.index.to_bytes(32, "big") + to_canonical_address(entry.account) + entry.amount.to_bytes(32, "big")
    )


def _combine(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a <= b else keccak(b + a)


def verify_proof(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """What the distributor's ``MerkleProof.verify`` computes."""
    node = leaf
    for sibling in proof:
        node = _combine(node, sibling)
    return node == root


@dataclass(frozen=True)
class BalanceTree:
    """A tree over ``entries``; ``root`` is the distributor's ``merkleRoot``."""

    entries: tuple[Entitlement, ...]
    layers: tuple[tuple[bytes, ...], ...] = field(repr=False)
    _position: dict[bytes, int] = field(repr=False, compare=False)

    @classmethod
    def build(cls, entries: Sequence[Entitlement]) -> BalanceTree:
        """Build the tree (``O(n)`` hashes after an ``O(n log n)`` sort)."""
        if not entries:
            raise ValueError("entries: the tree needs at least one leaf")
        indexes = [e.index for e in entries]
        if len(set(indexes)) != len(indexes):
            raise ValueError("entries: indexes must be unique (the distributor's bitmap is keyed by index)")
        level = sorted({leaf_hash(e) for e in entries})
        layers = [tuple(level)]
        while len(level) > 1:
            nxt = [_combine(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
            layers.append(tuple(level))
        return cls(
            entries=tuple(entries),
            layers=tuple(layers),
            _position={leaf: i for i, leaf in enumerate(layers[0])},
        )

    @property
    def root(self) -> bytes:
        """The Merkle root."""
        return self.layers[-1][0]

    @property
    def depth(self) -> int:
        """The number of levels above the leaves (the longest proof's length)."""
        return len(self.layers) - 1

    def proof(self, entry: Entitlement) -> list[bytes]:
        """The sibling hashes from ``entry``'s leaf up to the root."""
        try:
            position = self._position[leaf_hash(entry)]
        except KeyError:
            raise ValueError(
                f"entry: index {entry.index} ({entry.account}, {entry.amount}) is not in the tree"
            ) from None
        proof = []
        for layer in self.layers[:-1]:
            sibling = position ^ 1
            if sibling < len(layer):
                proof.append(layer[sibling])
            position //= 2
        return proof

    def total(self) -> int:
        """The sum of all amounts (what the distributor must hold)."""
        return sum(e.amount for e in self.entries)


def bench_entitlements(count: int, *, base_amount: int = 1_000_000) -> list[Entitlement]:
    """``count`` deterministic leaves: index ``i`` pays ``base_amount + i`` to ``keccak("bench-merkle", i)[12:]``."""
    if count <= 0:
        raise ValueError(f"count: must be positive, got {count}")
    return [
        Entitlement(
            index=i,
            account=to_checksum_address(keccak(b"bench-merkle" + i.to_bytes(32, "big"))[12:]),
            amount=base_amount + i,
        )
        for i in range(count)
    ]
