"""Real `idgen serve` nodes for the client tests: free loopback ports, a temp
state dir each, stopped by pid; and a throwaway PKI made with `openssl`.

IDGEN_BIN names the binary (CTest sets it); default build/bin/idgen.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
IDGEN_BIN = os.environ.get("IDGEN_BIN") or os.path.join(ROOT, "build", "bin", "idgen")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One `idgen serve` process. start() waits (bounded) for /health 200."""

    def __init__(self, worker_id=None, args=(), admin_ssl=None):
        self.dir = tempfile.mkdtemp(prefix="idgen-py-")
        self.worker_id = worker_id
        self.args = list(args)
        self.admin_ssl = admin_ssl
        self.proc = None
        self.grpc_port = None
        self.admin_port = None
        self.paused = False

    @property
    def address(self):
        return f"127.0.0.1:{self.grpc_port}"

    def start(self):
        for _ in range(3):  # a free port can be taken before the node binds it
            self.grpc_port, self.admin_port = free_port(), free_port()
            argv = [IDGEN_BIN, "serve", "--listen", self.address,
                    "--admin-listen", f"127.0.0.1:{self.admin_port}",
                    "--state-dir", os.path.join(self.dir, "state")]
            if self.worker_id is not None:
                argv += ["--worker-id", str(self.worker_id)]
            self.log = os.path.join(self.dir, "node.log")
            with open(self.log, "wb") as log:
                self.proc = subprocess.Popen(argv + self.args, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT)
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                try:
                    if self._get("/health", 1.0)[0] == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.1)
            self.stop()
            text = self.log_text()
            if not re.search(r"address|bind|in use", text, re.I):
                break
        raise RuntimeError(f"idgen serve did not become healthy:\n{self.log_text()}")

    def log_text(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def _get(self, path, timeout):
        scheme = "https" if self.admin_ssl else "http"
        url = f"{scheme}://127.0.0.1:{self.admin_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=self.admin_ssl) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, ""

    def requests(self, method, code=None):
        """How many calls of IdGenerator/`method` the node has answered (with
        gRPC status `code`, a number, or any), from its /metrics."""
        text = self._get("/metrics", 3.0)[1]
        total = 0
        for line in text.splitlines():
            if not line.startswith("rpc_server_duration_seconds_count{"):
                continue
            if f'rpc_method="{method}"' not in line:
                continue
            if code is not None and f'rpc_grpc_status_code="{code}"' not in line:
                continue
            total += int(float(line.rsplit(" ", 1)[1]))
        return total

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)
        self.paused = False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            if self.paused:
                self.resume()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _openssl(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, timeout=20,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _key(dir_, name):
    _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
              "-out", f"{name}.key"], dir_)
    path = os.path.join(dir_, f"{name}.key")
    os.chmod(path, 0o600)  # idgen refuses keys others may read
    return path


def make_ca(dir_, name="ca", cn="idgen test CA"):
    """A self-signed CA: (cert, key) paths."""
    key = _key(dir_, name)
    _openssl(["req", "-x509", "-new", "-key", key, "-sha256", "-days", "2", "-subj", f"/CN={cn}",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", f"{name}.pem"], dir_)
    return os.path.join(dir_, f"{name}.pem"), key


def make_leaf(dir_, ca, name, client=False):
    """A leaf signed by `ca`: (cert, key). Servers get SANs 127.0.0.1 and
    localhost; clients get clientAuth and CN `name`."""
    key = _key(dir_, name)
    ext = os.path.join(dir_, f"{name}.ext")
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\n" if client else
                "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    _openssl(["req", "-new", "-key", key, "-subj", f"/CN={name}", "-out", f"{name}.csr"], dir_)
    _openssl(["x509", "-req", "-in", f"{name}.csr", "-CA", ca[0], "-CAkey", ca[1],
              "-CAcreateserial", "-days", "1", "-sha256", "-extfile", ext,
              "-out", f"{name}.pem"], dir_)
    return os.path.join(dir_, f"{name}.pem"), key


def admin_ssl(ca, client):
    """What reaches a TLS node's admin port (HTTPS, same client auth)."""
    ctx = ssl.create_default_context(cafile=ca[0])
    ctx.load_cert_chain(client[0], client[1])
    return ctx


def wait_until(predicate, seconds, step=0.02):
    """Polls `predicate` until true or `seconds` pass; returns its last value."""
    end = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() >= end:
            return value
        time.sleep(step)
