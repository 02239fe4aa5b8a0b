"""Plain values returned by the client, and the TLS options it takes."""

from dataclasses import dataclass
from typing import Optional, Tuple

from .errors import invalid_argument


@dataclass(frozen=True)
class Decoded:
    """The fields of an ID (``Client.decode``).

    For snowflake IDs ``tick`` is the time field as stored (ticks since the
    layout's epoch); for 128-bit IDs only ``timestamp_ms`` is meaningful.
    """

    timestamp_ms: int
    worker: int
    sequence: int
    tick: int


@dataclass(frozen=True)
class NamespaceInfo:
    """One namespace a node serves. Layout fields are 0 for 128-bit schemes."""

    name: str
    scheme: str
    max_batch: int
    preset: str
    time_bits: int
    worker_bits: int
    sequence_bits: int
    unit_ms: int
    epoch_ms: int


@dataclass(frozen=True)
class NodeInfo:
    """What a node is (``Client.info``); worker_id is -1 when it holds none."""

    node: str
    worker_id: int
    worker_id_min: int
    worker_id_max: int
    serving: bool
    not_serving_reason: str
    version: str
    started_at_ms: int
    reserved_until_ms: int
    lease_backend: str
    lease_state: str
    namespaces: Tuple[NamespaceInfo, ...]


def _read(field, path):
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise invalid_argument(f"TlsOptions.{field}: cannot read {path}: {e.strerror}") from None


@dataclass(frozen=True)
class TlsOptions:
    """TLS towards nodes started with ``--tls-cert``/``--tls-key`` (and, for
    mutual TLS, ``--tls-client-ca``).

    ca_file: PEM of the CA that signed the nodes' certificates.
    cert_file, key_file: this client's certificate and key, for nodes that
        require client certificates; give both or neither.
    server_name: the name to check the node's certificate against when it
        differs from the target's host (``grpc.ssl_target_name_override``).
    """

    ca_file: str
    cert_file: Optional[str] = None
    key_file: Optional[str] = None
    server_name: Optional[str] = None

    def read(self):
        """Returns (root_certificates, private_key, certificate_chain) bytes;
        raises IdgenError(INVALID_ARGUMENT) naming the field of a bad file."""
        if not self.ca_file:
            raise invalid_argument("TlsOptions.ca_file: required")
        if (self.cert_file is None) != (self.key_file is None):
            raise invalid_argument("TlsOptions: cert_file and key_file go together")
        return (
            _read("ca_file", self.ca_file),
            _read("key_file", self.key_file),
            _read("cert_file", self.cert_file),
        )
