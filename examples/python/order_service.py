#!/usr/bin/python3
"""A tiny order service that takes its order IDs from an idgen pool.

    /usr/bin/python3 examples/python/order_service.py --target 127.0.0.1:50051

Places --orders orders from --threads threads, each order getting the next ID
of the pool (no network round trip per order: the pool refills in the
background), then prints one line per thread and a JSON summary. Needs the
stubs the build generates (scripts/build.sh); it finds the package and them
in this source tree, or use PYTHONPATH as docs/CLIENTS.md says.
"""

import argparse
import json
import os
import sys
import threading
import time

try:
    import idgen_client
except ImportError:  # run from the source tree
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "..", "clients", "python"))
    import idgen_client


class OrderService:
    """Keeps orders in memory, keyed by an ID from idgen."""

    def __init__(self, pool):
        self._pool = pool
        self._lock = threading.Lock()
        self.orders = {}

    def place(self, customer, items):
        order_id = self._pool.next()  # usually from memory; waits only if the pool ran dry
        with self._lock:
            if order_id in self.orders:
                raise RuntimeError(f"duplicate order id {order_id}")
            self.orders[order_id] = {"customer": customer, "items": items}
        return order_id


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", required=True, help="idgen node(s), e.g. 127.0.0.1:50051")
    ap.add_argument("--namespace", default="default", help="snowflake namespace (default)")
    ap.add_argument("--orders", type=int, default=1000, help="orders to place (1000)")
    ap.add_argument("--threads", type=int, default=4, help="threads placing them (4)")
    args = ap.parse_args(argv)
    if args.orders < 1 or args.threads < 1:
        ap.error("--orders and --threads must be at least 1")

    with idgen_client.Client(args.target, deadline=1.0) as client:
        with client.pool(args.namespace, batch=200, low_water=50) as pool:
            service = OrderService(pool)
            per_thread = [args.orders // args.threads + (k < args.orders % args.threads)
                          for k in range(args.threads)]
            placed = [[] for _ in per_thread]

            errors = []

            def clerk(k):
                try:
                    for n in range(per_thread[k]):
                        placed[k].append(service.place(f"customer-{k}", [f"item-{n}"]))
                except idgen_client.IdgenError as e:
                    errors.append(e)

            start = time.monotonic()
            clerks = [threading.Thread(target=clerk, args=(k,)) for k in range(args.threads)]
            for c in clerks:
                c.start()
            for c in clerks:
                c.join()
            elapsed = time.monotonic() - start
            if errors:
                raise errors[0]
            stats = pool.stats()
        for k, ids in enumerate(placed):
            if ids:
                print(f"clerk {k}: {len(ids)} orders, ids {ids[0]} .. {ids[-1]}")
        first = min(service.orders)
        decoded = client.decode(args.namespace, first)
    print(json.dumps({"orders": len(service.orders), "refills": stats.refills,
                      "first_id": first, "first_id_worker": decoded.worker,
                      "first_id_ms": decoded.timestamp_ms, "seconds": round(elapsed, 3)}))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except idgen_client.IdgenError as e:
        print(f"order_service: {e}", file=sys.stderr)
        sys.exit(1)
