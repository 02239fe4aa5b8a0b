"""Client with an API key against a node started with --auth-keys (the key
made by `idgen keys new`)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from idgen_client import Client, IdgenError  # noqa: E402


class ApiKeyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="idgen-py-keys-")
        out = subprocess.run([harness.IDGEN_BIN, "keys", "new", "--name", "py", "--scopes",
                              "ids:generate,info"], check=True, capture_output=True, text=True,
                             timeout=10).stdout
        cls.key, entry = out.split("\n", 1)
        keys = os.path.join(cls.dir, "keys.json")
        with open(keys, "w") as f:
            json.dump({"keys": [json.loads(entry)]}, f)
        cls.node = harness.Node(args=["--auth-keys", keys]).start()

    @classmethod
    def tearDownClass(cls):
        cls.node.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_the_key_is_sent_on_every_call(self):
        with Client(self.node.address, deadline=3.0, api_key=self.key) as c:
            ids = c.next_ids("default", 2)
            self.assertLess(ids[0], ids[1])
            self.assertIsInstance(c.next_id(), int)
            self.assertTrue(c.info().serving)

    def test_no_key_and_a_wrong_key_are_unauthenticated(self):
        for key in (None, "idg_wrong"):
            with Client(self.node.address, deadline=3.0, api_key=key) as c, \
                    self.assertRaises(IdgenError) as cm:
                c.next_id()
            self.assertEqual(cm.exception.code, "UNAUTHENTICATED")

    def test_a_missing_scope_is_permission_denied(self):
        with Client(self.node.address, deadline=3.0, api_key=self.key) as c, \
                self.assertRaises(IdgenError) as cm:
            c.decode("default", 1)
        self.assertEqual(cm.exception.code, "PERMISSION_DENIED")

    def test_a_key_with_spaces_is_refused_locally(self):
        with self.assertRaises(IdgenError) as cm:
            Client(self.node.address, api_key="two words")
        self.assertEqual(cm.exception.code, "INVALID_ARGUMENT")


if __name__ == "__main__":
    unittest.main()
