"""examples/python/order_service.py, run as a user would against a real node."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

EXAMPLE = os.path.join(harness.ROOT, "examples", "python", "order_service.py")


class OrderServiceExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = harness.Node(worker_id=5).start()

    @classmethod
    def tearDownClass(cls):
        cls.node.close()

    def run_example(self, *args):
        return subprocess.run([sys.executable, EXAMPLE, *args], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    def test_places_orders_with_unique_ids_from_a_pool(self):
        r = self.run_example("--target", self.node.address, "--orders", "1000", "--threads", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        summary = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertEqual(summary["orders"], 1000)  # a dict keyed by ID: all unique
        self.assertEqual(summary["first_id_worker"], 5)
        self.assertGreaterEqual(summary["refills"], 5)  # batches of 200
        self.assertEqual(len([ln for ln in r.stdout.splitlines() if ln.startswith("clerk ")]), 3)

    def test_no_node_is_a_clear_error(self):
        r = self.run_example("--target", f"127.0.0.1:{harness.free_port()}", "--orders", "1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("UNAVAILABLE", r.stderr)

    def test_bad_flags_exit_2(self):
        r = self.run_example("--target", self.node.address, "--orders", "0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--orders", r.stderr)


if __name__ == "__main__":
    unittest.main()
