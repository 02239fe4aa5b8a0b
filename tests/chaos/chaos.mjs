#!/usr/bin/env node
// Copyright idgen authors.
//
// The chaos runner: a cluster of `idgen serve` nodes on a real etcd (three
// members by default), under load from every node, while faults are injected
// at random for --duration seconds. Every ID received is kept and checked for
// uniqueness at the end. The nodes also serve `orders`, a segment namespace
// (dense IDs leased from etcd), under one more client per node: its IDs are
// checked for uniqueness too, and each client's must strictly increase (one
// client talks to one node slot, and a node that replaces a killed one leases
// above everything before). Prints a report (and writes it as JSON with
// --json); exits 1 if any ID was issued twice, a segment client saw its IDs go
// down, or none of either kind was issued at all, 2 on bad flags.
//
//   node tests/chaos/chaos.mjs --duration 600 [--nodes 3] [--etcd-members 3]
//       [--ttl 2] [--seed N] [--fault-every-ms 2000] [--batch 1000]
//       [--clients-per-node 2] [--tls] [--json report.json]
//
// --tls: every link over mutual TLS, from a throwaway CA made with openssl
// (valid from an hour ago, for the clock-behind nodes): etcd with
// --client-cert-auth, nodes reaching it with --etcd-cacert/cert/key and
// serving gRPC with --tls-cert/--tls-key/--tls-client-ca, the load over
// grpc-js with a client certificate.
//
// Faults (picked at random, weighted equally):
//   kill9         kill -9 a node, start a new one in its place
//   pause         SIGSTOP a node for longer than its lease TTL, then SIGCONT
//                 (a zombie: its id may be taken over meanwhile)
//   etcd-member   kill -9 one etcd member (sometimes the leader), restart it
//                 2 s later (skipped with one member)
//   etcd-outage   stop every etcd member for 3 s, then start them again
//   clock-behind  kill -9 a node and restart it with its wall clock 1-5 s
//                 behind (libfaketime); it must bridge or refuse, never reuse
//
// Loopback only; every loop is bounded by --duration; every process started
// is stopped by pid at the end (and killed on exit as a last resort).
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startEtcd } from '../node/lib/etcd.mjs';
import { IdLedger, loadLoop, newStats, startClusterNode } from '../node/lib/cluster.mjs';
import { backdated, makeCa, makeLeaf, pem } from '../node/lib/certs.mjs';
import { grpc, sleep } from '../node/lib/harness.mjs';

const FAULTS = ['kill9', 'pause', 'etcd-member', 'etcd-outage', 'clock-behind'];

function usage(message) {
  console.error(`chaos: ${message}\nusage: chaos.mjs --duration S [--nodes N] [--etcd-members 1|3] ` +
    '[--ttl S] [--seed N] [--fault-every-ms MS] [--batch N] [--clients-per-node N] [--tls] [--json FILE]');
  process.exit(2);
}

function intFlag(values, name, { min, max, def }) {
  const raw = values[name];
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw)) usage(`--${name} must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) usage(`--${name} must be in ${min}..${max}, got ${n}`);
  return n;
}

function parseFlags(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(
          ['duration', 'nodes', 'etcd-members', 'ttl', 'seed', 'fault-every-ms', 'batch', 'clients-per-node', 'json']
            .map((k) => [k, { type: 'string' }]),
        ),
        tls: { type: 'boolean' },
      },
      strict: true,
    });
  } catch (err) {
    usage(err.message);
  }
  const v = parsed.values;
  if (v.duration === undefined) usage('--duration is required');
  const flags = {
    duration: intFlag(v, 'duration', { min: 5, max: 24 * 3600 }),
    nodes: intFlag(v, 'nodes', { min: 1, max: 16, def: 3 }),
    etcdMembers: intFlag(v, 'etcd-members', { min: 1, max: 3, def: 3 }),
    ttl: intFlag(v, 'ttl', { min: 2, max: 60, def: 2 }),
    seed: intFlag(v, 'seed', { min: 0, max: 2 ** 31, def: Date.now() % 2 ** 31 }),
    faultEveryMs: intFlag(v, 'fault-every-ms', { min: 200, max: 600000, def: 2000 }),
    batch: intFlag(v, 'batch', { min: 1, max: 10000, def: 1000 }),
    clientsPerNode: intFlag(v, 'clients-per-node', { min: 1, max: 16, def: 2 }),
    json: v.json,
    tls: v.tls === true,
  };
  if (flags.etcdMembers === 2) usage('--etcd-members must be 1 or 3 (two members cannot lose one)');
  return flags;
}

// Deterministic for a seed (mulberry32), so a failing run can be replayed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

// The throwaway PKI of a --tls run, removed at exit.
function makePki() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idgen-chaos-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return backdated(() => {
    const ca = makeCa(dir);
    return {
      ca,
      etcd: makeLeaf(dir, ca, 'etcd', { kind: 'server+client' }),
      node: makeLeaf(dir, ca, 'node', { kind: 'server+client' }),
      client: makeLeaf(dir, ca, 'client', { kind: 'client', cn: 'chaos-load' }),
    };
  });
}

async function main() {
  const flags = parseFlags(process.argv.slice(2));
  const random = rng(flags.seed);
  const pick = (arr) => arr[Math.floor(random() * arr.length)];
  const started = Date.now();
  const endAt = started + flags.duration * 1000;
  const log = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

  log(`seed ${flags.seed}; ${flags.nodes} nodes, ${flags.etcdMembers} etcd member(s), TTL ${flags.ttl} s` +
    `${flags.tls ? ', mutual TLS on every link' : ''}`);
  const pki = flags.tls ? makePki() : null;
  const etcd = await startEtcd(null, {
    members: flags.etcdMembers,
    ...(pki ? { tls: { ca: pki.ca.cert, cert: pki.etcd.cert, key: pki.etcd.key, clientCert: pki.node.cert, clientKey: pki.node.key } } : {}),
  });
  const tlsArgs = pki
    ? ['--tls-cert', pki.node.cert, '--tls-key', pki.node.key, '--tls-client-ca', pki.ca.cert,
      '--etcd-cacert', pki.ca.cert, '--etcd-cert', pki.node.cert, '--etcd-key', pki.node.key]
    : [];
  const creds = pki
    ? grpc.credentials.createSsl(pem(pki.ca.cert), pem(pki.client.key), pem(pki.client.cert))
    : undefined;
  const configDir = mkdtempSync(path.join(os.tmpdir(), 'idgen-chaos-config-'));
  process.on('exit', () => rmSync(configDir, { recursive: true, force: true }));
  const config = path.join(configDir, 'namespaces.json');
  writeFileSync(config, JSON.stringify({
    namespaces: [{ name: 'default' }, { name: 'orders', scheme: 'segment', step: 1000, max_step: 20000 }],
  }));
  const startNodeIn = (opts = {}) =>
    startClusterNode(null, {
      etcd, cluster: 'chaos', ttl: flags.ttl, waitFor: 'alive', ...opts,
      args: [...tlsArgs, '--config', config, ...(opts.args ?? [])],
      ...(pki ? { adminTls: { ca: pem(pki.ca.cert), cert: pem(pki.client.cert), key: pem(pki.client.key) } } : {}),
    });
  const slots = [];
  for (let i = 0; i < flags.nodes; i++) slots.push({ name: `node${i}`, node: await startNodeIn(), busy: false });

  const ledger = new IdLedger();
  const stats = newStats();
  const faults = Object.fromEntries(FAULTS.map((f) => [f, 0]));
  let stopping = false;
  const loops = [];
  for (const slot of slots) {
    for (let c = 0; c < flags.clientsPerNode; c++) {
      loops.push(loadLoop({
        target: () => slot.node.address,
        ledger,
        stats,
        count: flags.batch,
        untilMs: endAt,
        stop: () => stopping,
        deadlineMs: 1000,
        creds,
      }));
    }
  }

  // The segment namespace: one client per node slot, IDs strictly increasing.
  const segLedger = new IdLedger();
  const segStats = newStats();
  const orderViolations = [];
  for (const slot of slots) {
    let last = 0n;
    loops.push(loadLoop({
      target: () => slot.node.address,
      ledger: segLedger,
      stats: segStats,
      namespace: 'orders',
      count: Math.min(flags.batch, 500),
      untilMs: endAt,
      stop: () => stopping,
      deadlineMs: 1000,
      creds,
      onIds: (ids, address) => {
        for (const s of ids) {
          const id = BigInt(s);
          if (id <= last && orderViolations.length < 10) orderViolations.push(`${slot.name}: ${last} then ${id} (${address})`);
          last = id;
        }
      },
    }));
  }

  const replace = async (slot, opts) => {
    await slot.node.kill9();
    slot.node = await startNodeIn(opts);
  };
  const inject = {
    kill9: async (slot) => replace(slot),
    pause: async (slot) => {
      process.kill(slot.node.pid, 'SIGSTOP');
      await sleep(flags.ttl * 1000 + 500 + random() * 1000);
      process.kill(slot.node.pid, 'SIGCONT');
    },
    'etcd-member': async () => {
      const member = random() < 0.5 ? await etcd.leader() : pick(etcd.members.filter((m) => m.pid));
      if (!member) return false;
      await member.kill9();
      await sleep(2000);
      member.start();
      return true;
    },
    'etcd-outage': async () => {
      await Promise.all(etcd.members.map((m) => m.stop()));
      await sleep(3000);
      for (const m of etcd.members) m.start();
      await etcd.waitHealthy();
      return true;
    },
    'clock-behind': async (slot) => replace(slot, { faketime: `-${1 + Math.floor(random() * 5)}s` }),
  };

  const pending = [];
  while (Date.now() < endAt - 1000) {
    await sleep(flags.faultEveryMs * (0.5 + random()));
    if (Date.now() >= endAt - 1000) break;
    let fault = pick(FAULTS);
    if (fault === 'etcd-member' && flags.etcdMembers === 1) fault = 'etcd-outage';
    const etcdFault = fault.startsWith('etcd');
    const free = slots.filter((s) => !s.busy);
    if (!etcdFault && free.length === 0) continue;
    const slot = etcdFault ? null : pick(free);
    if (slot) slot.busy = true;
    log(`fault ${fault}${slot ? ` on ${slot.name} (pid ${slot.node.pid})` : ''}`);
    faults[fault]++;
    const run = inject[fault](slot)
      .catch((err) => log(`fault ${fault} failed to inject: ${err.message}`))
      .finally(() => {
        if (slot) slot.busy = false;
      });
    // etcd faults run one at a time (they restart members); node faults overlap.
    if (etcdFault) await run;
    else pending.push(run);
  }
  await Promise.all(pending);
  stopping = true;
  await Promise.all(loops);

  const check = ledger.check();
  const segCheck = segLedger.check();
  const report = {
    seed: flags.seed,
    duration_s: Math.round((Date.now() - started) / 1000),
    nodes: flags.nodes,
    etcd_members: flags.etcdMembers,
    tls: flags.tls,
    lease_ttl_s: flags.ttl,
    ids_checked: check.count,
    duplicates: check.duplicateCount,
    duplicate_examples: check.duplicates,
    faults_injected: Object.values(faults).reduce((a, b) => a + b, 0),
    faults,
    calls_ok: stats.ok,
    calls_failed: stats.errors,
    failures_by_grpc_code: stats.byCode,
    longest_unavailability_ms: stats.longestGapMs,
    segment: {
      ids_checked: segCheck.count,
      duplicates: segCheck.duplicateCount,
      duplicate_examples: segCheck.duplicates,
      order_violations: orderViolations.length,
      order_violation_examples: orderViolations,
      calls_ok: segStats.ok,
      calls_failed: segStats.errors,
      failures_by_grpc_code: segStats.byCode,
    },
  };
  for (const slot of slots) await slot.node.stop({ timeoutMs: 3000 });
  await etcd.stop();

  console.log('\nchaos report');
  console.log(`  seed                       ${report.seed}`);
  console.log(`  duration                   ${report.duration_s} s`);
  console.log(`  IDs checked                ${report.ids_checked}`);
  console.log(`  faults injected            ${report.faults_injected} ${JSON.stringify(faults)}`);
  console.log(`  calls ok / failed          ${report.calls_ok} / ${report.calls_failed} ${JSON.stringify(stats.byCode)}`);
  console.log(`  longest unavailability     ${report.longest_unavailability_ms} ms (no node answered with IDs)`);
  console.log(`  duplicates                 ${report.duplicates}${check.duplicates.length ? ` e.g. ${check.duplicates}` : ''}`);
  console.log(`  segment IDs checked        ${segCheck.count} (namespace orders; calls ok / failed ` +
    `${segStats.ok} / ${segStats.errors})`);
  console.log(`  segment duplicates         ${segCheck.duplicateCount}${segCheck.duplicates.length ? ` e.g. ${segCheck.duplicates}` : ''}`);
  console.log(`  segment order violations   ${orderViolations.length}${orderViolations.length ? ` e.g. ${orderViolations[0]}` : ''}`);
  if (flags.json) writeFileSync(flags.json, JSON.stringify(report, null, 2));
  const ok = report.duplicates === 0 && report.ids_checked > 0 &&
    segCheck.duplicateCount === 0 && orderViolations.length === 0 && segCheck.count > 0;
  console.log(ok ? 'PASS' : 'FAIL');
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  console.error(`chaos: ${err.stack || err}`);
  process.exit(1);
});
