"""Raw JSON-RPC access under the SDK's operations layer (``pyclaims.tx`` and ``pyclaims.indexer``).

The hot paths (sending raw transactions, polling receipts, fetching block headers) talk to the provider
directly: ``provider.make_request`` for one call and ``provider.make_batch_request`` for many in one HTTP round
trip. That skips web3.py's middleware and result formatters (and their cost per call) while still going
through the provider, so its transport behaviour (and any fault-injecting wrapper a test puts around it)
applies. Errors returned by the node come back as :class:`RpcError`; transport failures (connection refused,
timeouts) propagate as whatever the provider raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

from pyclaims.errors import PyclaimsError

__all__ = ["RpcCall", "RpcError", "RpcResult", "call", "call_many", "to_int"]

RpcCall = tuple[str, Sequence[Any]]
"""One JSON-RPC call: method name and positional parameters."""


class RpcError(PyclaimsError):
    """The node answered a JSON-RPC call with an error object.

    Attributes:
        method: the JSON-RPC method called.
        code: the error code (e.g. ``-32003``, ``3`` for a revert); ``None`` when the node gave none.
        message: the node's error message.
        data: the error's ``data`` member (for reverts: the revert data as a ``0x`` hex string), if any.
    """

    def __init__(self, method: str, code: int | None, message: str, data: Any = None) -> None:
        self.method = method
        self.code = code
        self.message = message
        self.data = data
        super().__init__(f"{method}: node error {code}: {message}")


class RpcResult:
    """The outcome of one call in a batch: a result, or the :class:`RpcError` the node returned."""

    __slots__ = ("error", "result")

    def __init__(self, result: Any = None, error: RpcError | None = None) -> None:
        self.result = result
        self.error = error

    def unwrap(self) -> Any:
        """The result, or raise the node's error."""
        if self.error is not None:
            raise self.error
        return self.result


def _parse(method: str, response: Any) -> RpcResult:
    if not isinstance(response, dict):
        return RpcResult(error=RpcError(method, None, f"malformed JSON-RPC response: {response!r}"))
    error = response.get("error")
    if error is not None:
        if isinstance(error, dict):
            code = error.get("code")
            return RpcResult(
                error=RpcError(
                    method,
                    code if isinstance(code, int) else None,
                    str(error.get("message", "")),
                    error.get("data"),
                )
            )
        return RpcResult(error=RpcError(method, None, str(error)))
    return RpcResult(result=response.get("result"))


def call(w3: Web3, method: str, params: Sequence[Any]) -> Any:
    """One JSON-RPC call through ``w3.provider``; the raw (unformatted) result, or :class:`RpcError`."""
    response = w3.provider.make_request(RPCEndpoint(method), list(params))
    return _parse(method, response).unwrap()


def call_many(w3: Web3, calls: Sequence[RpcCall], *, chunk: int = 500) -> list[RpcResult]:
    """Many JSON-RPC calls, in JSON-RPC batches of at most ``chunk`` where the provider supports batches.

    Results come back in the order of ``calls``. A provider without batch support (or a node that answers a
    batch with a single error object) is served one call at a time instead.
    """
    if chunk < 1:
        raise ValueError(f"chunk: must be >= 1, got {chunk}")
    results: list[RpcResult] = []
    for start in range(0, len(calls), chunk):
        part = calls[start : start + chunk]
        batch: Any
        try:
            make_batch = getattr(w3.provider, "make_batch_request", None)
            if make_batch is None:
                raise NotImplementedError
            batch = make_batch([(RPCEndpoint(m), list(p)) for m, p in part])
        except NotImplementedError:
            batch = None
        if isinstance(batch, list) and len(batch) == len(part):
            results.extend(_parse(m, r) for (m, _), r in zip(part, batch, strict=True))
        else:
            for method, params in part:
                try:
                    results.append(RpcResult(result=call(w3, method, params)))
                except RpcError as exc:
                    results.append(RpcResult(error=exc))
    return results


def to_int(value: Any, *, field: str) -> int:
    """A JSON-RPC quantity (``0x`` hex string, or an int from a pre-formatted provider) as an int."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: expected a hex quantity, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        return int(value, 16)
    raise ValueError(f"{field}: expected a hex quantity, got {value!r}")
