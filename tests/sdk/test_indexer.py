"""pyclaims.indexer on anvil: follow, reorg (anvil_reorg / anvil_rollback), confirmations, paging."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from anvil import Anvil, dev_account
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from pyclaims.indexer import BlockRef, EventDecoder, IndexedLog, Indexer, ReorgTooDeepError

FROM = dev_account(0).address


def key(i: int) -> bytes:
    return keccak(f"key-{i}".encode())


class RegistryView:
    """A read model: key -> value, rebuilt from the events it was given."""

    def __init__(self) -> None:
        self.events: list[tuple[int, bytes, str, bytes, int]] = []
        self.rollbacks: list[int] = []

    def apply(self, block: BlockRef, logs: Sequence[IndexedLog]) -> None:
        for log in logs:
            assert log.block_number == block.number and log.block_hash == block.hash
            assert log.event is not None
            self.events.append(
                (block.number, bytes(block.hash), log.event.name, log.event.args["key"], log.event.args["value"])
            )

    def rollback(self, to_block: int) -> None:
        self.rollbacks.append(to_block)
        self.events = [e for e in self.events if e[0] <= to_block]

    @property
    def values(self) -> dict[bytes, int]:
        return {e[3]: e[4] for e in self.events}


def make_indexer(w3: Web3, registry: Contract, view: RegistryView, **kwargs: Any) -> Indexer:
    decoder = EventDecoder(w3, registry.abi)
    return Indexer(w3, view, addresses=[registry.address], topics=[decoder.topics], decoder=decoder, **kwargs)


def register_request(registry: Contract, i: int, value: int | None = None) -> dict[str, Any]:
    return {"from": FROM, "to": registry.address, "data": registry.encode_abi("register", [key(i), value or i + 1])}


def register(w3: Web3, registry: Contract, i: int, value: int | None = None) -> None:
    tx_hash = w3.eth.send_transaction(register_request(registry, i, value))  # anvil's dev accounts are unlocked
    assert w3.eth.wait_for_transaction_receipt(tx_hash, poll_latency=0.01)["status"] == 1


def fresh_index(w3: Web3, registry: Contract, **kwargs: Any) -> RegistryView:
    view = RegistryView()
    indexer = make_indexer(w3, registry, view, **kwargs)
    while indexer.poll().to_block is not None:
        pass
    return view


def test_follows_new_blocks(w3: Web3, registry: Contract) -> None:
    view = RegistryView()
    indexer = make_indexer(w3, registry, view)
    for i in range(3):
        register(w3, registry, i)
    first = indexer.poll()
    assert first.logs == 3 and first.to_block == w3.eth.block_number
    assert indexer.poll().to_block is None  # nothing new
    register(w3, registry, 3)
    assert indexer.poll().logs == 1
    assert view.values == {key(i): i + 1 for i in range(4)}
    assert view.rollbacks == []
    assert [e[2] for e in view.events] == ["Registered"] * 4


def test_anvil_reorg_rolls_back_to_the_common_ancestor_and_reapplies(
    anvil_node: Anvil, w3: Web3, registry: Contract
) -> None:
    for i in range(8):
        register(w3, registry, i)
    view = RegistryView()
    indexer = make_indexer(w3, registry, view)
    indexer.poll()
    head = w3.eth.block_number
    old_hashes = indexer.known_blocks
    assert len(view.events) == 8
    # Replace the last 3 blocks: keys 5, 6, 7 vanish; key 100 lands in the first new block, 101 in the last.
    anvil_node.rpc("anvil_reorg", 3, [[register_request(registry, 100), 0], [register_request(registry, 101), 2]])
    assert w3.eth.block_number == head
    assert w3.eth.get_block(head - 3)["hash"] == old_hashes[head - 3]
    assert w3.eth.get_block(head - 2)["hash"] != old_hashes[head - 2]
    result = indexer.poll()
    assert result.rolled_back_to == head - 3
    assert view.rollbacks == [head - 3]
    assert view.values == {**{key(i): i + 1 for i in range(5)}, key(100): 101, key(101): 102}
    fresh = fresh_index(w3, registry)
    assert view.events == fresh.events
    assert indexer.known_blocks == {n: w3.eth.get_block(n)["hash"] for n in range(head + 1)}


def test_anvil_rollback_then_other_blocks(anvil_node: Anvil, w3: Web3, registry: Contract) -> None:
    for i in range(6):
        register(w3, registry, i)
    view = RegistryView()
    indexer = make_indexer(w3, registry, view)
    indexer.poll()
    head = w3.eth.block_number
    anvil_node.rpc("anvil_rollback", 2)  # the chain is now 2 blocks shorter
    assert w3.eth.block_number == head - 2
    result = indexer.poll()
    assert result.rolled_back_to == head - 2
    assert view.values == {key(i): i + 1 for i in range(4)}
    for i in (50, 51, 52):  # a different branch grows past the old head
        register(w3, registry, i)
    indexer.poll()
    assert view.events == fresh_index(w3, registry).events
    assert key(4) not in view.values and view.values[key(52)] == 53


def test_confirmations_hide_shallow_reorgs(anvil_node: Anvil, w3: Web3, registry: Contract) -> None:
    for i in range(6):
        register(w3, registry, i)
    view = RegistryView()
    indexer = make_indexer(w3, registry, view, confirmations=3)
    indexer.poll()
    head = w3.eth.block_number
    assert indexer.last_processed == head - 3
    assert view.values == {key(i): i + 1 for i in range(3)}
    anvil_node.rpc("anvil_reorg", 2, [[register_request(registry, 200), 0]])
    for i in (7, 8, 9):
        register(w3, registry, i)
    indexer.poll()
    assert view.rollbacks == []  # the reorg was shallower than the confirmations
    assert view.events == fresh_index(w3, registry, confirmations=3).events


def test_reorg_deeper_than_history_is_refused(anvil_node: Anvil, w3: Web3, registry: Contract) -> None:
    for i in range(6):
        register(w3, registry, i)
    view = RegistryView()
    indexer = make_indexer(w3, registry, view, history=2, start_block=1)
    indexer.poll()
    anvil_node.rpc("anvil_reorg", 4, [])
    with pytest.raises(ReorgTooDeepError):
        indexer.poll()


def test_paging_and_restart_from_known_blocks(w3: Web3, registry: Contract) -> None:
    for i in range(7):
        register(w3, registry, i)
    view = RegistryView()
    indexer = make_indexer(w3, registry, view, max_blocks=3)
    polls = 0
    while indexer.poll().to_block is not None:
        polls += 1
    assert polls == 3  # blocks 0..8 in pages of 3
    assert view.events == fresh_index(w3, registry).events
    # A new instance picks up after the blocks the first one processed.
    register(w3, registry, 7)
    again = make_indexer(w3, registry, view, known_blocks=indexer.known_blocks)
    assert again.poll().logs == 1
    assert view.events == fresh_index(w3, registry).events


def test_bad_arguments_name_the_field(w3: Web3, registry: Contract) -> None:
    view = RegistryView()
    for kwargs, field in [
        ({"addresses": []}, "addresses"),
        ({"addresses": [registry.address], "confirmations": -1}, "confirmations"),
        ({"addresses": [registry.address], "max_blocks": 0}, "max_blocks"),
        ({"addresses": [registry.address], "start_block": -1}, "start_block"),
    ]:
        with pytest.raises(ValueError, match=field):
            Indexer(w3, view, **kwargs)
