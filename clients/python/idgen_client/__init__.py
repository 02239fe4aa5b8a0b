"""Python client for idgen nodes.

    import idgen_client
    with idgen_client.Client("127.0.0.1:50051") as c:
        ids = c.next_ids("default", 10)
        with c.pool("default") as pool:
            order_id = pool.next()

See docs/CLIENTS.md for the options and what the pool promises.
"""

from .client import MAX_COUNT, Client
from .errors import IdgenError
from .pool import IdPool, PoolStats
from .types import Decoded, NamespaceInfo, NodeInfo, TlsOptions

__all__ = ["Client", "Decoded", "IdPool", "IdgenError", "MAX_COUNT", "NamespaceInfo", "NodeInfo",
           "PoolStats", "TlsOptions"]
