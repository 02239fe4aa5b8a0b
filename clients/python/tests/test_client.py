"""Client against real `idgen serve` nodes: every method, errors, local
refusals, deadlines, round-robin."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from fake_node import FakeNode  # noqa: E402

from idgen_client import (  # noqa: E402
    Client, Decoded, IdgenError, NodeInfo, TlsOptions)
from idgen_client.client import service_config  # noqa: E402

import grpc  # noqa: E402


class ClientMethodsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = harness.Node(worker_id=7).start()
        cls.client = Client(cls.node.address, deadline=3.0)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.node.close()

    def assertCode(self, code, fn, *args, **kwargs):
        with self.assertRaises(IdgenError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.code, code, cm.exception.message)
        return cm.exception

    def test_next_id_returns_an_int_of_the_default_namespace(self):
        a, b = self.client.next_id(), self.client.next_id("default")
        self.assertIsInstance(a, int)
        self.assertGreater(b, a)

    def test_next_id_of_a_128_bit_namespace_returns_16_bytes(self):
        a, b = self.client.next_id("uuidv7"), self.client.next_id("uuidv7")
        self.assertIsInstance(a, bytes)
        self.assertEqual(len(a), 16)
        self.assertGreater(b, a)

    def test_next_ids_are_strictly_increasing_ints(self):
        ids = self.client.next_ids("default", 500)
        self.assertEqual(len(ids), 500)
        self.assertTrue(all(isinstance(i, int) for i in ids))
        self.assertTrue(all(x < y for x, y in zip(ids, ids[1:])))

    def test_next_ids128_are_strictly_increasing_16_byte_values(self):
        for ns in ("uuidv7", "ulid"):
            ids = self.client.next_ids128(ns, 50)
            self.assertEqual(len(ids), 50)
            self.assertTrue(all(len(i) == 16 for i in ids))
            self.assertTrue(all(x < y for x, y in zip(ids, ids[1:])))

    def test_wrong_width_is_refused_with_invalid_argument(self):
        e = self.assertCode("INVALID_ARGUMENT", self.client.next_ids, "uuidv7", 2)
        self.assertIn("next_ids128", e.message)
        self.assertCode("INVALID_ARGUMENT", self.client.next_ids128, "default", 2)

    def test_decode_gives_worker_and_time_of_a_snowflake_id(self):
        before = int(time.time() * 1000)
        d = self.client.decode("default", self.client.next_id())
        self.assertIsInstance(d, Decoded)
        self.assertEqual(d.worker, 7)
        self.assertLess(abs(d.timestamp_ms - before), 60_000)
        self.assertGreater(d.tick, 0)

    def test_decode_gives_the_time_of_a_128_bit_id(self):
        before = int(time.time() * 1000)
        d = self.client.decode("uuidv7", self.client.next_id("uuidv7"))
        self.assertLess(abs(d.timestamp_ms - before), 60_000)

    def test_info_describes_the_node(self):
        info = self.client.info()
        self.assertIsInstance(info, NodeInfo)
        self.assertEqual(info.worker_id, 7)
        self.assertEqual((info.worker_id_min, info.worker_id_max), (0, 1023))
        self.assertTrue(info.serving)
        self.assertEqual(info.lease_backend, "file")
        names = {n.name: n for n in info.namespaces}
        self.assertEqual(set(names), {"default", "uuidv7", "ulid"})
        self.assertEqual(names["default"].scheme, "snowflake")
        self.assertEqual(names["default"].worker_bits, 10)
        self.assertEqual(names["default"].max_batch, 10000)

    def test_node_errors_carry_the_code_name_and_message(self):
        e = self.assertCode("INVALID_ARGUMENT", self.client.next_ids, "no-such-ns", 1)
        self.assertIn("no-such-ns", e.message)
        self.assertCode("RESOURCE_EXHAUSTED", self.client.next_ids, "default", 10001)

    def test_bad_arguments_are_refused_before_any_call(self):
        calls = {m: self.node.requests(m) for m in ("NextIds", "NextId", "Decode")}
        c = self.client
        bad = [
            (c.next_ids, ("default", 0)), (c.next_ids, ("default", -1)),
            (c.next_ids, ("default", 2**32)), (c.next_ids, ("default", "3")),
            (c.next_ids, ("default", True)), (c.next_ids, ("default", 1.0)),
            (c.next_ids128, ("uuidv7", 0)), (c.next_ids128, ("uuidv7", 2**32)),
            (c.next_ids, (None, 1)), (c.next_id, (5,)),
            (c.decode, ("default", -1)), (c.decode, ("default", 2**64)),
            (c.decode, ("uuidv7", b"short")), (c.decode, ("default", "12")),
        ]
        for fn, args in bad:
            with self.subTest(fn=fn.__name__, args=args):
                self.assertCode("INVALID_ARGUMENT", fn, *args)
        self.assertEqual({m: self.node.requests(m) for m in calls}, calls)
        # The largest count is accepted locally and left to the node.
        self.assertCode("RESOURCE_EXHAUSTED", c.next_ids, "default", 2**32 - 1)

    def test_bad_options_are_refused(self):
        for kwargs in ({"max_attempts": 0}, {"max_attempts": 6}, {"lb": "random"},
                       {"deadline": 0}, {"deadline": "1"}, {"tls": "yes"}):
            with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                self.assertCode("INVALID_ARGUMENT", Client, self.node.address, **kwargs)
        self.assertCode("INVALID_ARGUMENT", Client, "")
        e = self.assertCode("INVALID_ARGUMENT", Client, self.node.address,
                            tls=TlsOptions("/nonexistent/ca.pem"))
        self.assertIn("ca_file", e.message)

    def test_per_call_deadline_overrides_the_clients(self):
        self.assertIsInstance(self.client.next_id(deadline=2.0), int)
        self.assertCode("INVALID_ARGUMENT", self.client.next_id, deadline=-1)

    def test_closed_client_refuses_calls(self):
        with Client(self.node.address) as c:
            self.assertIsInstance(c.next_id(), int)
        self.assertCode("CANCELLED", c.next_id)
        c.close()  # idempotent

    def test_service_config_retries_unavailable_only(self):
        cfg = service_config("round_robin", 3, 0.02, 0.5)
        self.assertEqual(cfg["loadBalancingConfig"], [{"round_robin": {}}])
        policy = cfg["methodConfig"][0]["retryPolicy"]
        self.assertEqual(policy["retryableStatusCodes"], ["UNAVAILABLE"])
        self.assertEqual(policy["maxAttempts"], 3)
        self.assertNotIn("retryPolicy", service_config("pick_first", 1, 0.02, 0.5)["methodConfig"][0])
        json.dumps(cfg)  # what the channel gets


class UnreachableTest(unittest.TestCase):
    def test_no_node_ends_unavailable_after_retries(self):
        with Client(f"127.0.0.1:{harness.free_port()}", deadline=2.0, max_attempts=3) as c:
            with self.assertRaises(IdgenError) as cm:
                c.next_id()
            self.assertEqual(cm.exception.code, "UNAVAILABLE")

    def test_stopped_node_ends_deadline_exceeded(self):
        node = harness.Node().start()
        try:
            node.pause()
            with Client(node.address, deadline=0.3) as c:
                start = time.monotonic()
                with self.assertRaises(IdgenError) as cm:
                    c.next_ids("default", 3)
                self.assertEqual(cm.exception.code, "DEADLINE_EXCEEDED")
                self.assertLess(time.monotonic() - start, 10.0)  # bounded, not hanging
        finally:
            node.close()


class RetryTest(unittest.TestCase):
    """Retries come from the channel's service config: UNAVAILABLE only."""

    def fake(self, **kwargs):
        node = FakeNode(**kwargs).start()
        self.addCleanup(node.stop)
        return node

    def test_unavailable_is_tried_again_up_to_max_attempts(self):
        node = self.fake(failures=2)
        with Client(node.address, deadline=3.0, max_attempts=3) as c:
            self.assertEqual(c.next_ids("default", 2), [1, 2])
        self.assertEqual(node.calls, 3)

    def test_attempts_stop_at_max_attempts(self):
        node = self.fake(failures=-1)
        with Client(node.address, deadline=3.0, max_attempts=2) as c:
            with self.assertRaises(IdgenError) as cm:
                c.next_id()
        self.assertEqual(cm.exception.code, "UNAVAILABLE")
        self.assertEqual(node.calls, 2)

    def test_max_attempts_1_does_not_retry(self):
        node = self.fake(failures=1)
        with Client(node.address, deadline=3.0, max_attempts=1) as c:
            with self.assertRaises(IdgenError) as cm:
                c.next_id()
            self.assertEqual(cm.exception.code, "UNAVAILABLE")
            self.assertEqual(cm.exception.message, "fake node says no")
            self.assertEqual(c.next_id(), 1)
        self.assertEqual(node.calls, 2)

    def test_other_codes_are_not_retried(self):
        for code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.RESOURCE_EXHAUSTED,
                     grpc.StatusCode.INVALID_ARGUMENT):
            with self.subTest(code=code.name):
                node = self.fake(failures=1, code=code)
                with Client(node.address, deadline=3.0, max_attempts=5) as c:
                    with self.assertRaises(IdgenError) as cm:
                        c.next_ids("default", 1)
                self.assertEqual(cm.exception.code, code.name)
                self.assertEqual(node.calls, 1)


class RoundRobinTest(unittest.TestCase):
    def test_calls_reach_every_node(self):
        nodes = []
        try:
            for w in (1, 2, 3):
                nodes.append(harness.Node(worker_id=w).start())
            target = "ipv4:" + ",".join(n.address for n in nodes)
            with Client(target, deadline=3.0) as c:
                layout = next(n for n in c.info().namespaces if n.name == "default")
                mask = (1 << layout.worker_bits) - 1
                seen = set()
                for _ in range(300):  # round_robin uses a node once it is connected
                    seen.add((c.next_id() >> layout.sequence_bits) & mask)
                    if seen == {1, 2, 3}:
                        break
                    time.sleep(0.005)
                self.assertEqual(seen, {1, 2, 3})
        finally:
            for n in nodes:
                n.close()


if __name__ == "__main__":
    unittest.main()
