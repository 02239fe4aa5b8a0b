"""A typed client for idgen nodes over gRPC (Debian's python3-grpcio)."""

import json
import numbers
import threading

import grpc

from ._stubs import pb, pb_grpc
from .errors import IdgenError, invalid_argument
from .types import Decoded, NamespaceInfo, NodeInfo, TlsOptions

MAX_COUNT = 2**32 - 1
_MAX_U64 = 2**64 - 1
_SERVICE = "idgen.v1.IdGenerator"
_BALANCERS = ("round_robin", "pick_first")


def _from_rpc(error):
    """An IdgenError from a grpc.RpcError (which is also a grpc.Call)."""
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else None
    return IdgenError(code.name if code is not None else "UNKNOWN", details or str(error))


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_ns(ns):
    if not isinstance(ns, str):
        raise invalid_argument(f"namespace must be a str, not {type(ns).__name__}")
    return ns


def _check_count(count):
    if not _is_int(count) or not 1 <= count <= MAX_COUNT:
        raise invalid_argument(f"count must be an integer in 1..{MAX_COUNT}, got {count!r}")
    return int(count)


def _number(name, value, minimum=0.0):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value > minimum:
        raise invalid_argument(f"{name} must be a number above {minimum:g}, got {value!r}")
    return float(value)


def service_config(lb, max_attempts, initial_backoff, max_backoff):
    """The gRPC service config (gRFC A6): the balancer, and retries of
    UNAVAILABLE only. A failed attempt's IDs are never reissued by a node, so
    trying again elsewhere cannot duplicate; other codes are not retried."""
    method = {"name": [{"service": _SERVICE}]}
    if max_attempts > 1:
        method["retryPolicy"] = {
            "maxAttempts": max_attempts,
            "initialBackoff": f"{initial_backoff:.3f}s",
            "maxBackoff": f"{max_backoff:.3f}s",
            "backoffMultiplier": 2,
            "retryableStatusCodes": ["UNAVAILABLE"],
        }
    return {"loadBalancingConfig": [{lb: {}}], "methodConfig": [method]}


class Client:
    """A connection to one or more idgen nodes.

    ``target`` is a gRPC target: ``HOST:PORT``, ``dns:///host:port`` (every
    address the name resolves to), ``ipv4:h1:p1,h2:p2``, ``unix:PATH``. Calls
    are spread over the resolved nodes by ``lb`` (``round_robin``, the
    default, or ``pick_first``).

    ``deadline`` (seconds) bounds each call, retries included; a call that
    runs out ends with ``IdgenError`` code ``DEADLINE_EXCEEDED``.
    ``max_attempts`` (1..5, gRPC's cap) is how often a call is tried when it
    ends UNAVAILABLE (1: never again), with exponential backoff from
    ``initial_backoff`` to ``max_backoff`` seconds. No other code is retried.
    ``tls`` is a ``TlsOptions``; without it the channel is plaintext.
    ``api_key`` (a str) is sent as ``authorization: Bearer <key>`` on every
    call, for nodes started with ``--auth-keys``; it is never printed.
    ``token_source`` (instead of ``api_key``) is called before every call for
    the bearer token to send, e.g. a JWT your identity provider renews; it
    must be thread-safe, and a token that cannot be sent fails that call with
    INVALID_ARGUMENT (without quoting it).

    Every failure is an ``IdgenError`` with the gRPC code's name. Arguments
    that cannot be valid (a count of 0 or above 2**32-1, a negative ID, a
    namespace that is not a str) are refused with INVALID_ARGUMENT before any
    call. Thread-safe; connects lazily. ``close()`` (or leaving a ``with``
    block) closes its pools and the channel.
    """

    def __init__(self, target, *, deadline=0.5, max_attempts=3, lb="round_robin", tls=None,
                 initial_backoff=0.02, max_backoff=0.5, user_agent="idgen-python", api_key=None,
                 token_source=None):
        if not isinstance(target, str) or not target:
            raise invalid_argument(f"target must be a non-empty str, got {target!r}")
        self._deadline = _number("deadline", deadline)
        if not _is_int(max_attempts) or not 1 <= max_attempts <= 5:
            raise invalid_argument(f"max_attempts must be an integer in 1..5, got {max_attempts!r}")
        if lb not in _BALANCERS:
            raise invalid_argument(f"lb must be one of {', '.join(_BALANCERS)}, got {lb!r}")
        initial_backoff = _number("initial_backoff", initial_backoff)
        max_backoff = _number("max_backoff", max_backoff)
        if tls is not None and not isinstance(tls, TlsOptions):
            raise invalid_argument("tls must be a TlsOptions")
        if api_key is not None and (not isinstance(api_key, str) or not api_key
                                    or any(c.isspace() for c in api_key)):
            raise invalid_argument("api_key must be a non-empty str without spaces")
        if token_source is not None and (api_key is not None or not callable(token_source)):
            raise invalid_argument("token_source must be a callable, and not given with api_key")
        self._token_source = token_source
        self._fixed_metadata = (("authorization", "Bearer " + api_key),) if api_key else None
        options = [
            ("grpc.service_config",
             json.dumps(service_config(lb, max_attempts, initial_backoff, max_backoff))),
            ("grpc.enable_retries", 1),
            ("grpc.primary_user_agent", str(user_agent)),
        ]
        if tls is None:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            root, key, chain = tls.read()
            creds = grpc.ssl_channel_credentials(root_certificates=root, private_key=key,
                                                 certificate_chain=chain)
            if tls.server_name:
                options.append(("grpc.ssl_target_name_override", tls.server_name))
            self._channel = grpc.secure_channel(target, creds, options=options)
        self._stub = pb_grpc.IdGeneratorStub(self._channel)
        self._target = target
        self._lock = threading.Lock()
        self._closed = False
        self._pools = []

    @property
    def target(self):
        return self._target

    @property
    def deadline(self):
        return self._deadline

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return f"Client({self._target!r}, deadline={self._deadline})"

    def close(self):
        """Stops this client's pools, then closes the channel. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pools, self._pools = self._pools, []
        for p in pools:
            p.close()
        self._channel.close()

    def _timeout(self, deadline):
        self._check_open()
        return self._deadline if deadline is None else _number("deadline", deadline)

    def _check_open(self):
        if self._closed:
            raise IdgenError("CANCELLED", "client is closed")

    def _metadata(self):
        if self._token_source is None:
            return self._fixed_metadata
        token = self._token_source()
        if not isinstance(token, str) or not token or any(c.isspace() for c in token):
            raise invalid_argument("token_source returned something that is not a bearer token")
        return (("authorization", "Bearer " + token),)

    def _call(self, method, request, deadline):
        timeout = self._timeout(deadline)
        metadata = self._metadata()
        try:
            return method(request, timeout=timeout, metadata=metadata)
        except grpc.RpcError as e:
            raise _from_rpc(e) from None

    def next_id(self, ns="", *, deadline=None):
        """One ID: an int for snowflake namespaces, 16 bytes (big-endian) for
        uuidv7/ulid ones."""
        r = self._call(self._stub.NextId, pb.NextIdRequest(namespace=_check_ns(ns)), deadline)
        return bytes(r.id128) if r.id128 else r.id

    def next_ids(self, ns, n, *, deadline=None):
        """``n`` IDs of a 64-bit namespace, strictly increasing, as ints."""
        r = self._next_ids(ns, n, deadline)
        return ids_of(r, ns, want128=False)

    def next_ids128(self, ns, n, *, deadline=None):
        """``n`` IDs of a 128-bit namespace, strictly increasing, 16 bytes each."""
        r = self._next_ids(ns, n, deadline)
        return ids_of(r, ns, want128=True)

    def _next_ids(self, ns, n, deadline):
        req = pb.NextIdsRequest(namespace=_check_ns(ns), count=_check_count(n))
        return self._call(self._stub.NextIds, req, deadline)

    def _next_ids_future(self, ns, n):
        """A grpc.Future of a NextIds response (for pools); bounded by the
        client's deadline; cancel() ends it at once."""
        req = pb.NextIdsRequest(namespace=ns, count=n)
        return self._stub.NextIds.future(req, timeout=self._timeout(None), metadata=self._metadata())

    def decode(self, ns, id, *, deadline=None):  # noqa: A002 - the API's word
        """The fields of ``id``: an int (snowflake, 0..2**64-1) or 16 bytes
        (uuidv7/ulid). Returns a ``Decoded``."""
        _check_ns(ns)
        if _is_int(id):
            if not 0 <= id <= _MAX_U64:
                raise invalid_argument(f"id must be in 0..2**64-1, got {id}")
            req = pb.DecodeRequest(namespace=ns, id=int(id))
        elif isinstance(id, (bytes, bytearray)) and len(id) == 16:
            req = pb.DecodeRequest(namespace=ns, id128=bytes(id))
        else:
            raise invalid_argument(f"id must be a non-negative int or 16 bytes, got {id!r}")
        r = self._call(self._stub.Decode, req, deadline)
        return Decoded(timestamp_ms=r.timestamp_ms, worker=r.worker, sequence=r.sequence,
                       tick=r.tick)

    def info(self, *, deadline=None):
        """What the node that answers is (``NodeInfo``)."""
        r = self._call(self._stub.GetInfo, pb.GetInfoRequest(), deadline)
        namespaces = tuple(
            NamespaceInfo(name=n.name, scheme=n.scheme, max_batch=n.max_batch,
                          preset=n.layout.preset, time_bits=n.layout.time_bits,
                          worker_bits=n.layout.worker_bits,
                          sequence_bits=n.layout.sequence_bits, unit_ms=n.layout.unit_ms,
                          epoch_ms=n.layout.epoch_ms)
            for n in r.namespaces)
        return NodeInfo(node=r.node, worker_id=r.worker_id, worker_id_min=r.worker_id_min,
                        worker_id_max=r.worker_id_max, serving=r.serving,
                        not_serving_reason=r.not_serving_reason, version=r.version,
                        started_at_ms=r.started_at_ms, reserved_until_ms=r.reserved_until_ms,
                        lease_backend=r.lease.backend, lease_state=r.lease.state,
                        namespaces=namespaces)

    def pool(self, ns, batch=1000, low_water=200, max_age=1.0, **options):
        """An ``IdPool`` of namespace ``ns`` fed by this client; see IdPool for
        the options and what it promises. Closed by ``close()``."""
        from .pool import IdPool

        self._check_open()
        p = IdPool(self, ns, batch=batch, low_water=low_water, max_age=max_age, **options)
        with self._lock:
            if self._closed:
                p.close()
                raise IdgenError("CANCELLED", "client is closed")
            self._pools.append(p)
        return p

    def _forget(self, pool):
        with self._lock:
            if pool in self._pools:
                self._pools.remove(pool)


def ids_of(response, ns, *, want128):
    """The IDs of a NextIds response, refusing the wrong width."""
    if want128:
        if response.ids and not response.ids128:
            raise invalid_argument(
                f"namespace {ns!r} issues 64-bit IDs (scheme {response.scheme}); use next_ids")
        return [bytes(b) for b in response.ids128]
    if response.ids128 and not response.ids:
        raise invalid_argument(
            f"namespace {ns!r} issues 128-bit IDs (scheme {response.scheme}); use next_ids128")
    return list(response.ids)
