// Copyright idgen authors.
//
// Helpers for tests and the chaos runner that drive `idgen serve` nodes
// coordinated by a real etcd (lib/etcd.mjs): starting a node on a cluster,
// load loops that collect every ID received, and a compact uniqueness check
// for millions of IDs.
import { grpcClients, startNode, tempDir, unary } from './harness.mjs';

// Starts `idgen serve --etcd ...` on free ports. Options as startNode, plus
//   etcd       the cluster from startEtcd (required)
//   cluster    cluster name (default "t")
//   ttl        lease TTL in seconds (default 2, etcd's minimum)
//   maxWorkers --max-workers N
export async function startClusterNode(t, opts) {
  const { etcd, cluster = 't', ttl = 2, maxWorkers, args = [], ...rest } = opts;
  return startNode(t, {
    stateDir: tempDir(t, 'idgen-unused-state-'),
    args: [
      '--etcd', etcd.endpoints,
      '--cluster', cluster,
      '--lease-ttl', String(ttl),
      ...(maxWorkers !== undefined ? ['--max-workers', String(maxWorkers)] : []),
      ...args,
    ],
    ...rest,
  });
}

// Every 64-bit ID received, kept compactly (8 bytes each) for a uniqueness
// check at the end: sort, then compare neighbours.
export class IdLedger {
  constructor() {
    this.chunks = [];
    this.current = new BigUint64Array(1 << 16);
    this.used = 0;
    this.count = 0;
  }

  add(decimalStrings) {
    for (const s of decimalStrings) {
      if (this.used === this.current.length) {
        this.chunks.push(this.current);
        this.current = new BigUint64Array(1 << 16);
        this.used = 0;
      }
      this.current[this.used++] = BigInt(s);
    }
    this.count += decimalStrings.length;
  }

  // { count, duplicates: [first few duplicated IDs as strings], duplicateCount }
  check() {
    const all = new BigUint64Array(this.count);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    all.set(this.current.subarray(0, this.used), at);
    all.sort();
    const duplicates = [];
    let duplicateCount = 0;
    for (let i = 1; i < all.length; i++) {
      if (all[i] === all[i - 1]) {
        duplicateCount++;
        if (duplicates.length < 10) duplicates.push(String(all[i]));
      }
    }
    return { count: this.count, duplicates, duplicateCount };
  }
}

// Asks the node at `target()` (an address, asked again before every call so a
// restarted node on new ports is followed) for batches of `count` IDs, one
// call at a time, until `stop()` returns true or `untilMs` (absolute
// Date.now()) passes. Every ID goes to `ledger`; per-call outcomes go to
// `stats` (see newStats). Never throws. `onIds(ids, address)` sees each batch.
// `creds`: grpc-js channel credentials (default plaintext); `namespace`:
// the namespace asked for (default: the node's default one).
export async function loadLoop({ target, ledger, stats, count = 1000, untilMs, stop, deadlineMs = 1000, onIds, creds, namespace = '' }) {
  const clients = new Map();
  try {
    while (Date.now() < untilMs && !(stop && stop())) {
      const address = target();
      if (!clients.has(address)) clients.set(address, grpcClients(null, address, creds));
      const { idgen } = clients.get(address);
      try {
        const res = await unary(idgen, 'NextIds', { namespace, count }, { deadlineMs });
        ledger.add(res.ids);
        stats.ok++;
        stats.ids += res.ids.length;
        const now = Date.now();
        if (stats.lastOkAt) stats.longestGapMs = Math.max(stats.longestGapMs, now - stats.lastOkAt);
        stats.lastOkAt = now;
        if (onIds) onIds(res.ids, address);
      } catch (err) {
        stats.errors++;
        stats.byCode[err.code] = (stats.byCode[err.code] ?? 0) + 1;
        // A node that is down or not ready: do not spin.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
}

export const newStats = () => ({ ok: 0, errors: 0, ids: 0, byCode: {}, lastOkAt: 0, longestGapMs: 0 });
