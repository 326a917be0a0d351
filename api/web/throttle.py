"""Failed authentications slowed down — chống dò mã truy cập: one throttle for both web entrances.

Every authentication with a token — the JSON API's bearer token (:func:`api.http.deps.current_user`),
an upload's token checked before its body is read (:mod:`api.web.body_limit`) and the pages' sign-in
form (:mod:`api.pages.router`) — goes through :meth:`AuthThrottle.attempt` with two keys: the client's
address (an IPv6 address by its /64 network, which one machine usually holds whole) and the token's
first :data:`PREFIX_LENGTH` characters (never more of a wrong token is kept, and only masked in a log).

The rule, per key (:class:`ThrottleRule`, from the ``LEDGER_AUTH_*`` settings):

* a *failure* is a token refused (unknown, expired, revoked, of a disabled user); failures are counted
  in a sliding window (``window``: 900 s);
* once the window holds ``max_failures`` (10) failures, every further attempt with that key is refused
  with 429 and ``Retry-After`` — a correct token too, from that address or with that prefix (that is
  what stops guessing); the token is not even checked;
* the block lasts until the window holds fewer than ``max_failures`` failures again, so that no more than
  ``max_failures`` failures of one key are ever let through in a window; and each refused attempt in the
  window makes it last at least ``block × 2^(n-1)`` seconds after that attempt (n: the refused attempts
  in the window; 60 s, 120 s, 240 s … at most ``max_block``, 3,600 s): ``Retry-After`` never goes down
  while the attempts continue;
* a success erases nothing: the failures of others from the same address stay counted.

The first refused attempt of a block is logged once (``authentication throttled``, a warning) with the
address and the prefix masked.

The state lives in this process's memory, which is right for ``ledger serve`` with one process (the
default): with ``--workers N`` each process counts its own attempts, so a guesser may get up to N times
the limit. It is bounded: at most ``max_keys`` keys are tracked (the least recently used one is dropped
first, so a flood of distinct addresses cannot grow it), each with at most ``max_failures`` failures and
:data:`MAX_REFUSALS` refusals. Every method is thread-safe (one lock; no I/O under it).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from domain.errors import TokenExpired

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ledger.config import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)

PREFIX_LENGTH = 8
MAX_REFUSALS = 32  # beyond 2^31 × block the cap holds anyway
MAX_KEYS = 20_000


@dataclass(frozen=True)
class ThrottleRule:
    """The limits: ``max_failures`` failures per key in ``window`` seconds, then blocks of ``block``
    seconds doubling with each refused attempt, at most ``max_block``."""

    max_failures: int = 10
    window: float = 900.0
    block: float = 60.0
    max_block: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottleRule:
        """The rule of ``LEDGER_AUTH_*``."""
        return cls(
            settings.auth_max_failures,
            settings.auth_window_seconds,
            settings.auth_block_seconds,
            settings.auth_max_block_seconds,
        )

    def backoff(self, refusals: int) -> float:
        """How long after the ``refusals``-th refused attempt in the window the block lasts at least."""
        return min(self.block * 2.0 ** min(refusals - 1, MAX_REFUSALS), self.max_block)


class Throttled(Exception):  # noqa: N818 - what the caller is
    """The attempt was refused without checking its token: retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int, until: float) -> None:
        super().__init__(f"too many failed authentications: retry after {retry_after} seconds")
        self.retry_after = retry_after
        self.until = until  # on the throttle's clock


class _Key:
    """One key's failures and refusals (timestamps in the window), its block and attempts in flight."""

    __slots__ = ("blocked_until", "failures", "logged", "pending", "refusals")

    def __init__(self, rule: ThrottleRule) -> None:
        self.failures: deque[float] = deque(maxlen=rule.max_failures)
        self.refusals: deque[float] = deque(maxlen=MAX_REFUSALS)
        self.blocked_until = 0.0
        self.pending = 0
        self.logged = False

    def prune(self, now: float, window: float) -> None:
        for times in (self.failures, self.refusals):
            while times and times[0] <= now - window:
                times.popleft()

    def idle(self) -> bool:
        return not (self.failures or self.refusals or self.pending)


def client_address(scope: Mapping[str, Any]) -> str | None:
    """The client's address of an ASGI request (behind a reverse proxy: the one it forwards, which
    ``ledger serve`` trusts from 127.0.0.1, uvicorn's ``--forwarded-allow-ips`` default)."""
    client = scope.get("client")
    return str(client[0]) if client else None


def address_key(client: str | None) -> str | None:
    """The key of a client address: an IPv4 address as it is, an IPv6 one by its /64 network."""
    if not client:
        return None
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def masked_address(key: str) -> str:
    """An address key for a log line: an IPv4 address without its last number, an IPv6 network by its
    first two groups."""
    if ":" in key:
        return ":".join(key.split(":")[:2]) + ":*"
    parts = key.split(".")
    return ".".join([*parts[:3], "*"]) if len(parts) == 4 else key[:3] + "*"


def masked_prefix(prefix: str) -> str:
    """A token prefix for a log line: its first two characters."""
    return prefix[:2] + "*" * (len(prefix) - 2)


class AuthThrottle:
    """Failed authentications per client address and per token prefix (see the module)."""

    def __init__(
        self,
        rule: ThrottleRule | None = None,
        *,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rule = rule or ThrottleRule()
        self.max_keys = max_keys
        self.clock = clock
        self._keys: OrderedDict[tuple[str, str], _Key] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many keys are tracked."""
        with self._lock:
            return len(self._keys)

    def attempt(self, client: str | None, token: str, check: Callable[[str], T | None]) -> T | None:
        """``check(token)`` — the user it signs in, or ``None`` — unless the address or the prefix is
        blocked (:class:`Throttled`); a ``None`` or :class:`~domain.errors.TokenExpired` is a failure of
        both keys."""
        keys = self._keys_of(client, token)
        self._begin(keys)
        try:
            found = check(token)
        except TokenExpired:
            self._end(keys, failed=True)
            raise
        except BaseException:
            self._end(keys, failed=False)  # the store could not answer: not the caller's failure
            raise
        self._end(keys, failed=found is None)
        return found

    @staticmethod
    def _keys_of(client: str | None, token: str) -> list[tuple[str, str]]:
        keys = [("prefix", token[:PREFIX_LENGTH])]
        address = address_key(client)
        if address is not None:
            keys.insert(0, ("address", address))
        return keys

    def _entry(self, key: tuple[str, str], *, create: bool) -> _Key | None:
        entry = self._keys.get(key)
        if entry is not None:
            self._keys.move_to_end(key)
        elif create:
            while len(self._keys) >= self.max_keys:
                self._keys.popitem(last=False)
            entry = self._keys[key] = _Key(self.rule)
        return entry

    def _begin(self, keys: list[tuple[str, str]]) -> None:
        """Refuse the attempt if a key is blocked; else count it in flight."""
        rule = self.rule
        with self._lock:
            now = self.clock()
            refusing: list[tuple[tuple[str, str], _Key]] = []
            busy = False
            for key in keys:
                entry = self._entry(key, create=False)
                if entry is None:
                    continue
                entry.prune(now, rule.window)
                if now < entry.blocked_until:
                    refusing.append((key, entry))
                elif len(entry.failures) + entry.pending >= rule.max_failures:
                    busy = True  # the last attempts the window allows are being checked right now
            if refusing:
                until = max(self._refuse(key, entry, now) for key, entry in refusing)
                raise Throttled(max(1, math.ceil(until - now)), until)
            if busy:
                raise Throttled(1, now + 1)
            for key in keys:
                entry = self._entry(key, create=True)
                assert entry is not None  # noqa: S101 - created
                entry.pending += 1

    def _refuse(self, key: tuple[str, str], entry: _Key, now: float) -> float:
        """Count a refused attempt: the block lasts at least the backoff of the refusals in the window."""
        entry.refusals.append(now)
        entry.blocked_until = max(entry.blocked_until, now + self.rule.backoff(len(entry.refusals)))
        if not entry.logged:
            entry.logged = True
            kind, value = key
            log.warning(
                "authentication throttled",
                extra={
                    "key": kind,
                    "address": masked_address(value) if kind == "address" else "-",
                    "token_prefix": masked_prefix(value) if kind == "prefix" else "-",
                    "failures": len(entry.failures),
                    "retry_after": max(1, math.ceil(entry.blocked_until - now)),
                },
            )
        return entry.blocked_until

    def _end(self, keys: list[tuple[str, str]], *, failed: bool) -> None:
        """The attempt's outcome: a failure is counted in both keys' windows."""
        rule = self.rule
        with self._lock:
            now = self.clock()
            for key in keys:
                entry = self._entry(key, create=failed)
                if entry is None:
                    continue
                entry.pending = max(0, entry.pending - 1)
                entry.prune(now, rule.window)
                if failed:
                    entry.failures.append(now)
                    if len(entry.failures) >= rule.max_failures:
                        # blocked until the oldest of the window's last max_failures failures leaves it
                        release = entry.failures[0] + rule.window
                        if entry.blocked_until <= now:
                            entry.logged = False  # a new block
                        entry.blocked_until = max(entry.blocked_until, release)
                elif entry.idle() and entry.blocked_until <= now:
                    del self._keys[key]
