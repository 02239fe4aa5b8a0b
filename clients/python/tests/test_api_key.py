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


class TokenSourceTest(unittest.TestCase):
    """token_source is asked before every call: a renewed credential is used
    from the next call on, by the client and by its pools."""

    @classmethod
    def setUpClass(cls):
        ApiKeyTest.setUpClass.__func__(cls)

    @classmethod
    def tearDownClass(cls):
        ApiKeyTest.tearDownClass.__func__(cls)

    def test_the_token_is_asked_for_on_every_call(self):
        current = ["idg_not-yet-valid"]
        asked = []

        def source():
            asked.append(1)
            return current[0]

        with Client(self.node.address, deadline=3.0, token_source=source) as c:
            with self.assertRaises(IdgenError) as cm:
                c.next_id()
            self.assertEqual(cm.exception.code, "UNAUTHENTICATED")
            current[0] = self.key
            self.assertIsInstance(c.next_id(), int)
            self.assertEqual(len(c.next_ids("default", 3)), 3)
            self.assertGreaterEqual(len(asked), 3)
            with c.pool("default", batch=10, low_water=2) as p:
                self.assertIsInstance(p.next(), int)
            current[0] = "two words"
            with self.assertRaises(IdgenError) as cm:
                c.next_id()
            self.assertEqual(cm.exception.code, "INVALID_ARGUMENT")
            self.assertNotIn("two words", str(cm.exception))

    def test_token_source_with_api_key_or_not_callable_is_refused(self):
        for kwargs in ({"token_source": lambda: "x", "api_key": "y"}, {"token_source": "not callable"}):
            with self.assertRaises(IdgenError) as cm:
                Client(self.node.address, **kwargs)
            self.assertEqual(cm.exception.code, "INVALID_ARGUMENT")
