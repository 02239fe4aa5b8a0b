"""IdPool against real `idgen serve` nodes: uniqueness and order across
threads, refill accounting, backoff while the node fails, max_age, close."""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from fake_node import FakeNode  # noqa: E402

from idgen_client import Client, IdgenError  # noqa: E402


def settled(pool, low_water=0):
    """Waits (bounded) until no refill is in flight nor due (at least
    `low_water` IDs buffered); returns the stats."""
    def quiet():
        s = pool.stats()
        return not s.in_flight and s.available >= low_water

    harness.wait_until(quiet, 5.0)
    return pool.stats()


def hammer(pool, seconds, threads=4):
    """Calls pool.next() from `threads` threads for `seconds`; returns the
    IDs and the error codes they got."""
    stop = time.monotonic() + seconds
    ids, codes = [], []

    def work():
        while time.monotonic() < stop:
            try:
                ids.append(pool.next())
            except IdgenError as e:
                codes.append(e.code)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    return ids, codes


class PoolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = harness.Node(worker_id=3).start()
        cls.client = Client(cls.node.address, deadline=3.0)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.node.close()

    def test_next_and_next_many_hand_out_increasing_ids(self):
        with self.client.pool("default", batch=100, low_water=20) as pool:
            ids = [pool.next() for _ in range(150)] + pool.next_many(250) + [pool.next()]
        self.assertEqual(len(set(ids)), 401)
        self.assertTrue(all(x < y for x, y in zip(ids, ids[1:])))

    def test_threads_get_unique_ids_each_increasing(self):
        per_thread, threads = 4000, 8
        results = [[] for _ in range(threads)]
        errors = []

        def work(out, k):
            try:
                while len(out) < per_thread:
                    if k % 2:
                        out.extend(pool.next_many(7))
                    else:
                        out.append(pool.next())
            except IdgenError as e:  # pragma: no cover - reported below
                errors.append(e)

        with self.client.pool("default", batch=500, low_water=100) as pool:
            workers = [threading.Thread(target=work, args=(results[k], k)) for k in range(threads)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(timeout=60)
            self.assertFalse(any(w.is_alive() for w in workers))
        self.assertEqual(errors, [])
        every = [i for r in results for i in r]
        self.assertEqual(len(every), len(set(every)))
        for r in results:
            self.assertGreaterEqual(len(r), per_thread)
            self.assertTrue(all(x < y for x, y in zip(r, r[1:])))

    def test_refills_match_the_batch_size(self):
        # A node of its own: calls of other tests' pools (cancelled at close)
        # would be counted too.
        node = harness.Node().start()
        self.addCleanup(node.close)
        client = Client(node.address, deadline=3.0)
        self.addCleanup(client.close)
        before = node.requests("NextIds", 0)
        with client.pool("default", batch=100, low_water=20) as pool:
            for _ in range(1000):
                pool.next()
            s = settled(pool, low_water=20)
            # 1000 IDs need 10 batches; at most one more is fetched ahead
            # (low water reached after the tenth).
            self.assertIn(s.refills, (10, 11))
            self.assertEqual(s.handed_out, 1000)
            self.assertEqual(s.available, s.refills * 100 - 1000)
            self.assertEqual(s.refill_failures, 0)
            self.assertEqual(node.requests("NextIds", 0) - before, s.refills)

    def test_128_bit_namespaces_pool_bytes(self):
        with self.client.pool("uuidv7", batch=50, low_water=10) as pool:
            ids = pool.next_many(120)
        self.assertTrue(all(len(i) == 16 for i in ids))
        self.assertTrue(all(x < y for x, y in zip(ids, ids[1:])))

    def test_failing_refills_back_off_with_one_in_flight(self):
        # The node answers INVALID_ARGUMENT for an unknown namespace: every
        # refill reaches it, so its /metrics count every attempt.
        before = self.node.requests("NextIds", 3)
        pool = self.client.pool("no-such-ns", batch=10, low_water=5, initial_backoff=0.05,
                                max_backoff=0.4)
        _, codes = hammer(pool, 1.5)
        pool.close()  # a refill cancelled here may or may not have reached the node
        s = pool.stats()
        attempts = self.node.requests("NextIds", 3) - before
        # Backoff 0.05, 0.1, 0.2, 0.4, 0.4 ... (x0.8..1) fits at most ~7
        # attempts in 1.5 s; without it, 4 callers would cause thousands.
        self.assertGreaterEqual(attempts, 2)
        self.assertLessEqual(attempts, 12)
        self.assertIn(attempts - s.refill_failures, (0, 1))
        self.assertGreater(len(codes), 0)
        self.assertEqual(set(codes), {"INVALID_ARGUMENT"})

    def test_max_age_drops_stale_ids(self):
        with self.client.pool("default", batch=100, low_water=10, max_age=0.5) as pool:
            first = pool.next()
            time.sleep(1.0)
            after_sleep_ms = int(time.time() * 1000)
            second = pool.next()
            s = pool.stats()
        self.assertGreaterEqual(s.dropped_stale, 99)
        self.assertGreater(second, first)
        # The second ID was minted after the sleep, not taken from the first batch.
        minted = self.client.decode("default", second).timestamp_ms
        self.assertGreaterEqual(minted, after_sleep_ms - 200)

    def test_bad_pool_arguments_are_refused(self):
        for kwargs in ({"batch": 0}, {"batch": 2**32}, {"batch": 10, "low_water": 11},
                       {"low_water": -1}, {"max_age": 0}, {"wait": 0}):
            with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                with self.assertRaises(IdgenError) as cm:
                    self.client.pool("default", **kwargs)
                self.assertEqual(cm.exception.code, "INVALID_ARGUMENT")
        with self.client.pool("default", batch=10, low_water=2) as pool:
            for n in (0, -1, 2**32, "2"):
                with self.assertRaises(IdgenError) as cm:
                    pool.next_many(n)
                self.assertEqual(cm.exception.code, "INVALID_ARGUMENT")

    def test_closing_the_client_closes_its_pools(self):
        c = Client(self.node.address, deadline=3.0)
        pool = c.pool("default", batch=10, low_water=2)
        self.assertIsInstance(pool.next(), int)
        c.close()
        with self.assertRaises(IdgenError) as cm:
            pool.next()
        self.assertEqual(cm.exception.code, "CANCELLED")


class PoolOneRefillTest(unittest.TestCase):
    """A fake node that holds each call 50 ms shows how many were in flight."""

    def fake(self, **kwargs):
        node = FakeNode(delay=0.05, **kwargs).start()
        self.addCleanup(node.stop)
        return node

    def test_slow_refills_are_never_concurrent(self):
        node = self.fake()
        with Client(node.address, deadline=3.0) as c:
            with c.pool("default", batch=20, low_water=10) as pool:
                ids, codes = hammer(pool, 1.0, threads=6)
        self.assertEqual(codes, [])
        self.assertEqual(len(ids), len(set(ids)))
        self.assertGreaterEqual(node.calls, 3)
        self.assertEqual(node.max_in_flight, 1)

    def test_failing_node_sees_one_call_at_a_time_and_backoff(self):
        node = self.fake(failures=-1)
        with Client(node.address, deadline=3.0, max_attempts=1) as c:
            with c.pool("default", batch=20, low_water=10, wait=0.2, initial_backoff=0.05,
                        max_backoff=0.4) as pool:
                ids, codes = hammer(pool, 1.5, threads=6)
                s = pool.stats()
        self.assertEqual(ids, [])
        self.assertEqual(set(codes), {"UNAVAILABLE"})
        self.assertEqual(node.max_in_flight, 1)
        self.assertLessEqual(node.calls, 12)  # backoff; no storm from 6 callers
        self.assertIn(node.calls - s.refill_failures, (0, 1))


class PoolNodeDownTest(unittest.TestCase):
    def test_no_refill_storm_while_no_node_answers(self):
        with Client(f"127.0.0.1:{harness.free_port()}", deadline=0.2, max_attempts=1) as c:
            pool = c.pool("default", batch=10, low_water=5, wait=0.3, initial_backoff=0.05,
                          max_backoff=0.4)
            _, codes = hammer(pool, 1.5)
            s = pool.stats()
            pool.close()
        self.assertEqual(s.refills, 0)
        self.assertGreaterEqual(s.refill_failures, 2)
        self.assertLessEqual(s.refill_failures, 12)
        self.assertEqual(set(codes), {"UNAVAILABLE"})

    def test_close_with_a_refill_in_flight_is_clean(self):
        node = harness.Node().start()
        try:
            node.pause()
            with Client(node.address, deadline=20.0) as c:
                pool = c.pool("default", batch=10, low_water=2)
                self.assertTrue(harness.wait_until(lambda: pool.stats().in_flight, 5.0))
                start = time.monotonic()
                pool.close()
                # close() cancels the call rather than waiting out its 20 s deadline.
                self.assertLess(time.monotonic() - start, 10.0)
                self.assertFalse(pool._thread.is_alive())
                self.assertFalse(pool.stats().in_flight)
                with self.assertRaises(IdgenError) as cm:
                    pool.next()
                self.assertEqual(cm.exception.code, "CANCELLED")
        finally:
            node.close()


if __name__ == "__main__":
    unittest.main()
