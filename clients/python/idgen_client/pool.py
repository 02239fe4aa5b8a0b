"""IDs kept ready in process, refilled in the background."""

import collections
import random
import threading
import time
from dataclasses import dataclass

import grpc

from .client import MAX_COUNT, _check_count, _check_ns, _from_rpc, _is_int, _number, ids_of
from .errors import IdgenError, invalid_argument

# Refill failures that waiting will not cure: callers hear of them at once
# instead of after `wait` (the pool still tries again, with backoff).
_LASTING = frozenset({"INVALID_ARGUMENT", "RESOURCE_EXHAUSTED", "NOT_FOUND",
                      "PERMISSION_DENIED", "UNAUTHENTICATED", "UNIMPLEMENTED",
                      "FAILED_PRECONDITION"})


@dataclass(frozen=True)
class PoolStats:
    """Counters of one pool since it was made.

    available: IDs buffered now. refills: NextIds calls that succeeded;
    refill_failures: that failed. handed_out: IDs returned by next/next_many.
    dropped_stale: IDs dropped unused because they were older than max_age.
    in_flight: whether a refill call is running now.
    """

    available: int
    refills: int
    refill_failures: int
    handed_out: int
    dropped_stale: int
    in_flight: bool


class _Batch:
    __slots__ = ("fetched_at", "ids", "pos")

    def __init__(self, fetched_at, ids):
        self.fetched_at = fetched_at
        self.ids = ids
        self.pos = 0


class IdPool:
    """IDs of one namespace kept ready in process (``Client.pool``).

    A background thread calls NextIds(``batch``) whenever fewer than
    ``low_water`` IDs are buffered (or a waiting ``next_many`` needs more),
    with **at most one refill in flight**. A failed refill is tried again
    after a backoff that doubles from ``initial_backoff`` to ``max_backoff``
    seconds (with jitter), never at once. ``max_age`` (seconds, None: off)
    bounds how old a handed-out ID may be: a batch counts from the moment its
    call started, and batches older than that are dropped unused (use it with
    time-based schemes, whose IDs carry their mint time). A pool does not
    fetch while nobody takes IDs, so after an idle spell longer than
    ``max_age`` the next caller waits for one round trip.

    ``next()`` returns one ID, ``next_many(n)`` a list of ``n``. When not
    enough IDs are buffered they wait up to ``wait`` seconds (default: twice
    the client's deadline) for refills, then raise the last refill's
    ``IdgenError`` (or DEADLINE_EXCEEDED); a refill failure that waiting will
    not cure (INVALID_ARGUMENT for an unknown namespace, RESOURCE_EXHAUSTED
    for a batch above the namespace's max_batch, ...) is raised at once.

    Order: IDs are handed out in the order the node issued them, each batch
    strictly increasing. If every refill reaches the same node (one node, or
    ``lb="pick_first"``), all IDs of the pool are strictly increasing in the
    order they are handed out, so the IDs one thread receives increase too.
    With several nodes (round_robin) only the IDs within one batch are
    ordered: the next batch may come from a node whose IDs are lower.

    Loss: IDs buffered when the pool is closed, dropped as stale, or held by
    a process that exits are never handed out by anyone: they leave gaps,
    never duplicates (a node never issues an ID twice).

    Thread-safe. ``close()`` stops the thread, cancelling a refill in flight;
    later calls raise CANCELLED. A ``with`` block closes it too.
    """

    def __init__(self, client, ns, *, batch=1000, low_water=200, max_age=1.0, wait=None,
                 initial_backoff=0.05, max_backoff=2.0, clock=time.monotonic):
        self._client = client
        self._ns = _check_ns(ns)
        self._batch = _check_count(batch)
        if not _is_int(low_water) or not 0 <= low_water <= self._batch:
            raise invalid_argument(f"low_water must be an integer in 0..batch ({self._batch}), "
                                   f"got {low_water!r}")
        self._low_water = int(low_water)
        self._max_age = None if max_age is None else _number("max_age", max_age)
        self._wait = 2 * client.deadline if wait is None else _number("wait", wait)
        self._initial_backoff = _number("initial_backoff", initial_backoff)
        self._max_backoff = _number("max_backoff", max_backoff)
        self._clock = clock

        self._cond = threading.Condition()
        self._batches = collections.deque()
        self._available = 0
        self._wanted = 0  # IDs that waiting callers need, added up
        self._closed = False
        self._inflight = None
        self._backoff = 0.0
        self._retry_at = 0.0
        self._last_error = None
        self._failures = 0
        self._refills = 0
        self._handed_out = 0
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name=f"idgen-pool-{ns or 'default'}",
                                        daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def namespace(self):
        return self._ns

    def stats(self):
        with self._cond:
            return PoolStats(available=self._available, refills=self._refills,
                             refill_failures=self._failures, handed_out=self._handed_out,
                             dropped_stale=self._dropped, in_flight=self._inflight is not None)

    def next(self):
        """One ID (an int, or 16 bytes for 128-bit namespaces)."""
        return self._take(1)[0]

    def next_many(self, n):
        """``n`` IDs (1..2**32-1), in the order the pool holds them."""
        if not _is_int(n) or not 1 <= n <= MAX_COUNT:
            raise invalid_argument(f"n must be an integer in 1..{MAX_COUNT}, got {n!r}")
        return self._take(int(n))

    def close(self):
        """Stops the refill thread (cancelling a call in flight) and drops
        the buffered IDs (gaps, never duplicates). Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            inflight = self._inflight
            self._batches.clear()
            self._available = 0
            self._cond.notify_all()
        if inflight is not None:
            inflight.cancel()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self._client.deadline + 5.0)
        self._client._forget(self)

    # ---- internals; every _name below runs with self._cond held ----------

    def _drop_stale(self):
        if self._max_age is None:
            return
        oldest_ok = self._clock() - self._max_age
        while self._batches and self._batches[0].fetched_at < oldest_ok:
            b = self._batches.popleft()
            left = len(b.ids) - b.pos
            self._available -= left
            self._dropped += left

    def _needs_refill(self):
        return self._available < max(self._low_water, self._wanted)

    def _pop(self, n):
        out = []
        while len(out) < n:
            b = self._batches[0]
            k = min(n - len(out), len(b.ids) - b.pos)
            out.extend(b.ids[b.pos:b.pos + k])
            b.pos += k
            if b.pos == len(b.ids):
                self._batches.popleft()
        self._available -= n
        self._handed_out += n
        return out

    def _take(self, n):
        with self._cond:
            give_up = self._clock() + self._wait
            failures_seen = self._failures
            waiting = False
            try:
                while True:
                    if self._closed:
                        raise IdgenError("CANCELLED", "pool is closed")
                    self._drop_stale()
                    if self._available >= n:
                        if waiting:
                            self._wanted -= n
                            waiting = False
                        out = self._pop(n)
                        if self._needs_refill():
                            self._cond.notify_all()
                        return out
                    if self._failures != failures_seen and self._last_error is not None \
                            and self._last_error.code in _LASTING:
                        raise self._last_error
                    left = give_up - self._clock()
                    if left <= 0:
                        if self._last_error is not None:
                            raise self._last_error
                        raise IdgenError("DEADLINE_EXCEEDED",
                                         f"no IDs of namespace {self._ns!r} within {self._wait:g} s")
                    if not waiting:
                        self._wanted += n
                        waiting = True
                    self._cond.notify_all()
                    self._cond.wait(left)
            finally:
                if waiting:
                    self._wanted -= n

    def _run(self):
        while True:
            with self._cond:
                while True:
                    if self._closed:
                        return
                    self._drop_stale()
                    if self._needs_refill():
                        delay = self._retry_at - self._clock()
                        if delay <= 0:
                            break
                        self._cond.wait(delay)
                    else:
                        self._cond.wait()
                started = self._clock()
                future, error = None, None
                try:
                    future = self._client._next_ids_future(self._ns, self._batch)
                except IdgenError as e:
                    if e.code == "CANCELLED":  # the client was closed
                        self._last_error = e
                        self._cond.notify_all()
                        return
                    error = e  # e.g. a token_source that gave no token: back off, try again
                self._inflight = future
            ids = None
            try:
                if future is not None:
                    response = future.result()
                    ids = ids_of(response, self._ns, want128=bool(response.ids128))
            except grpc.FutureCancelledError:
                error = IdgenError("CANCELLED", "pool is closed")
            except grpc.RpcError as e:
                error = _from_rpc(e)
            with self._cond:
                self._inflight = None
                if self._closed:
                    return
                if error is None:
                    self._refills += 1
                    self._batches.append(_Batch(started, ids))
                    self._available += len(ids)
                    self._backoff = 0.0
                    self._retry_at = 0.0
                    self._last_error = None
                else:
                    self._failures += 1
                    self._last_error = error
                    self._backoff = min(self._max_backoff,
                                        max(self._initial_backoff, 2 * self._backoff))
                    self._retry_at = self._clock() + self._backoff * random.uniform(0.8, 1.0)
                self._cond.notify_all()
