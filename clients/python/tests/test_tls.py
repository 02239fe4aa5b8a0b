"""Client over TLS to a node that requires client certificates (mutual TLS),
with a throwaway CA made with `openssl`."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from idgen_client import Client, IdgenError, TlsOptions  # noqa: E402


class MutualTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="idgen-py-pki-")
        cls.ca = harness.make_ca(cls.dir)
        server = harness.make_leaf(cls.dir, cls.ca, "server")
        cls.client_cert = harness.make_leaf(cls.dir, cls.ca, "app-1", client=True)
        other = harness.make_ca(cls.dir, "other-ca", "someone else")
        cls.stranger = harness.make_leaf(cls.dir, other, "stranger", client=True)
        cls.node = harness.Node(
            args=["--tls-cert", server[0], "--tls-key", server[1], "--tls-client-ca", cls.ca[0]],
            admin_ssl=harness.admin_ssl(cls.ca, cls.client_cert)).start()

    @classmethod
    def tearDownClass(cls):
        cls.node.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tls(self, cert=None, **kwargs):
        cert = cert or self.client_cert
        return TlsOptions(self.ca[0], cert_file=cert[0], key_file=cert[1], **kwargs)

    def code_of(self, client):
        with client as c, self.assertRaises(IdgenError) as cm:
            c.next_ids("default", 2)
        return cm.exception.code

    def test_the_right_certificate_works(self):
        with Client(self.node.address, deadline=3.0, tls=self.tls()) as c:
            ids = c.next_ids("default", 2)
            self.assertLess(ids[0], ids[1])
            self.assertTrue(c.info().serving)

    def test_server_name_overrides_the_name_checked(self):
        with Client(self.node.address, deadline=3.0, tls=self.tls(server_name="localhost")) as c:
            self.assertIsInstance(c.next_id(), int)
        bad = Client(self.node.address, deadline=2.0, tls=self.tls(server_name="other.example"))
        self.assertEqual(self.code_of(bad), "UNAVAILABLE")

    def test_no_client_certificate_is_refused(self):
        client = Client(self.node.address, deadline=2.0, tls=TlsOptions(self.ca[0]))
        self.assertEqual(self.code_of(client), "UNAVAILABLE")

    def test_a_certificate_of_another_ca_is_refused(self):
        client = Client(self.node.address, deadline=2.0, tls=self.tls(self.stranger))
        self.assertEqual(self.code_of(client), "UNAVAILABLE")

    def test_plaintext_is_refused(self):
        self.assertEqual(self.code_of(Client(self.node.address, deadline=2.0)), "UNAVAILABLE")

    def test_certificate_without_key_is_refused_locally(self):
        with self.assertRaises(IdgenError) as cm:
            Client(self.node.address, tls=TlsOptions(self.ca[0], cert_file=self.client_cert[0]))
        self.assertEqual(cm.exception.code, "INVALID_ARGUMENT")


if __name__ == "__main__":
    unittest.main()
