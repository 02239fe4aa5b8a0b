#!/usr/bin/env node
// Copyright idgen authors.
//
// What transport security costs, one machine, loopback only, in one go, each
// secured figure beside its plaintext self measured in the same run (and the
// gateway beside nginx over HTTPS with the same certificate):
//   1. node, StreamIds (one ID per request) and NextIds(1000): plaintext,
//      mutual TLS, plaintext again (`idgen bench`, --tls-* for the TLS node)
//   2. REST gateway (GET /v1/ids?count=1, keep-alive, wrk): nginx HTTPS,
//      the gateway over HTTP to a plaintext node, the gateway over HTTPS to
//      a node over mutual TLS (what a secured deployment runs), nginx HTTPS
//      again
//   3. full TLS handshakes per second on fresh connections (openssl s_time
//      -new, one client): nginx, the gateway, the node (presenting a client
//      certificate, as mutual TLS requires)
// The certificates: a throwaway EC P-256 CA and leaves made with openssl.
//
//   node bench/tls_overhead.mjs                 # 10 s per run
//   node bench/tls_overhead.mjs --duration 30 --json report.json
//
// Flags [defaults]: --duration [10] --handshake-seconds [5]
//   --stream-concurrency [64] --batch-concurrency [4] --connections [64]
//   --wrk-threads [2] --gateway-threads [2] --nginx-workers [2]
//   --nginx PATH [nginx on PATH, else /usr/sbin/nginx] --idgen PATH
//   [IDGEN_BIN or build/bin/idgen] --keep (keep the temp dir) --json FILE
// A bad flag exits 2 naming it, before anything starts. Needs nginx
// (nginx-light), wrk and openssl. Everything started here is stopped by pid.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { makeCa, makeLeaf } from '../tests/node/lib/certs.mjs';
import { IDGEN_BIN, runProcess, startNode, stopProcess, tempDir } from '../tests/node/lib/harness.mjs';
import { startGateway } from '../tests/node/lib/gateway_harness.mjs';
import {
  betterOf, machine, RATIO_COLUMN, renderMachine, renderTable, verdict, withRatios, writeReport,
} from './lib/report.mjs';
import { idgenBench, log as logAs, parseFlags, requireTools, usageExit } from './lib/run.mjs';
import { findNginx, runWrk, startNginx } from './lib/web_peers.mjs';

const NAME = 'tls_overhead';
const USAGE =
  'tls_overhead.mjs [--duration S] [--handshake-seconds S] [--stream-concurrency N] ' +
  '[--batch-concurrency N] [--connections N] [--wrk-threads N] [--gateway-threads N] ' +
  '[--nginx-workers N] [--nginx PATH] [--idgen PATH] [--keep] [--json FILE]';
const log = (msg) => logAs(NAME, msg);

const flags = parseFlags(NAME, USAGE, {
  duration: { kind: 'int', min: 1, max: 3600, def: 10 },
  'handshake-seconds': { kind: 'int', min: 1, max: 600, def: 5 },
  'stream-concurrency': { kind: 'int', min: 1, max: 4096, def: 64 },
  'batch-concurrency': { kind: 'int', min: 1, max: 4096, def: 4 },
  connections: { kind: 'int', min: 1, max: 10000, def: 64 },
  'wrk-threads': { kind: 'int', min: 1, max: 256, def: 2 },
  'gateway-threads': { kind: 'int', min: 1, max: 256, def: 2 },
  'nginx-workers': { kind: 'int', min: 1, max: 256, def: 2 },
  nginx: { kind: 'string' },
  idgen: { kind: 'string', def: IDGEN_BIN },
  keep: { kind: 'bool', def: false },
  json: { kind: 'string' },
}, process.argv.slice(2));

const bin = flags.idgen;
if (!existsSync(bin)) usageExit(NAME, USAGE, `--idgen ${bin}: not built (scripts/build.sh)`);
requireTools(NAME, ['wrk', 'openssl']);
const nginx = await findNginx(NAME, USAGE, flags.nginx);

const tmp = flags.keep
  ? mkdtempSync(path.join(os.tmpdir(), 'idgen-tls-overhead-'))
  : tempDir(null, 'idgen-tls-overhead-');
const started = [];
let failed = false;

// Full handshakes per second by one `openssl s_time -new` client (no
// session reuse); `cert` presented when given.
async function handshakes(name, port, cert) {
  const args = ['s_time', '-connect', `127.0.0.1:${port}`, '-new', '-time', String(flags['handshake-seconds'])];
  if (cert) args.push('-cert', cert.cert, '-key', cert.key);
  log(`openssl ${args.join(' ')}`);
  const r = await runProcess('openssl', args, { timeoutMs: (flags['handshake-seconds'] + 30) * 1000 });
  // "N connections in T.TTs; R connections/user sec" and "N connections in S real seconds"
  const m = r.stdout.match(/(\d+) connections in (\d+) real seconds/);
  if (!m || Number(m[1]) === 0) throw new Error(`s_time against ${name}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return { handshakes_per_s: Number(m[1]) / Math.max(1, Number(m[2])), connections: Number(m[1]) };
}

async function main() {
  const pki = path.join(tmp, 'pki');
  mkdirSync(pki);
  const ca = makeCa(pki);
  const server = makeLeaf(pki, ca, 'server', { kind: 'server' });
  const client = makeLeaf(pki, ca, 'client', { kind: 'client', cn: 'bench-client' });
  const pemOf = (c) => ({ ca: readFileSync(ca.cert), cert: readFileSync(c.cert), key: readFileSync(c.key) });

  const plainNode = await startNode(null, { stateDir: path.join(tmp, 'plain'), bin });
  started.push(plainNode);
  const tlsNode = await startNode(null, {
    stateDir: path.join(tmp, 'tls'),
    bin,
    args: ['--tls-cert', server.cert, '--tls-key', server.key, '--tls-client-ca', ca.cert],
    adminTls: pemOf(client),
  });
  started.push(tlsNode);
  const tlsBench = { 'tls-ca': ca.cert, 'tls-cert': client.cert, 'tls-key': client.key, 'tls-server-name': 'localhost' };

  const bench = async (target, extra) => {
    const r = await idgenBench(target, { duration: flags.duration, warmup: 1, ...extra }, { bin });
    if (r.duplicates !== 0 || r.error_total !== 0) throw new Error(`idgen bench: ${JSON.stringify(r)}`);
    return r;
  };
  const stream = { mode: 'stream', count: 1, concurrency: flags['stream-concurrency'] };
  const batch = { mode: 'batch', count: 1000, concurrency: flags['batch-concurrency'] };
  const node = {};
  node.streamPlain1 = await bench(plainNode.address, stream);
  node.streamTls = await bench(tlsNode.address, { ...stream, ...tlsBench });
  node.streamPlain2 = await bench(plainNode.address, stream);
  node.batchPlain1 = await bench(plainNode.address, batch);
  node.batchTls = await bench(tlsNode.address, { ...batch, ...tlsBench });
  node.batchPlain2 = await bench(plainNode.address, batch);

  const gwThreads = ['--threads', String(flags['gateway-threads'])];
  const gwPlain = await startGateway(null, { backends: [plainNode.address], args: gwThreads, bin });
  started.push(gwPlain);
  const gwTls = await startGateway(null, {
    backends: [tlsNode.address],
    args: [...gwThreads, '--tls-cert', server.cert, '--tls-key', server.key,
      '--backend-tls-ca', ca.cert, '--backend-tls-cert', client.cert, '--backend-tls-key', client.key,
      '--backend-tls-server-name', 'localhost'],
    bin,
    tls: { ca: readFileSync(ca.cert) },
  });
  started.push(gwTls);
  const sample = await (await fetch(`${gwPlain.base}/v1/ids?count=1`)).text();
  const ng = await startNginx(nginx, tmp, sample, { workers: flags['nginx-workers'], tls: server });
  started.push(ng.proc);
  const wrk = (name, url) => runWrk(NAME, tmp, name, url,
    { threads: flags['wrk-threads'], connections: flags.connections, seconds: flags.duration });
  const ids = '/v1/ids?count=1';
  const gw = {};
  gw.nginx1 = await wrk('nginx-https-1', `${ng.base}/ids.json`);
  gw.http = await wrk('gateway-http', `${gwPlain.base}${ids}`);
  gw.https = await wrk('gateway-https', `https://127.0.0.1:${gwTls.port}${ids}`);
  gw.nginx2 = await wrk('nginx-https-2', `${ng.base}/ids.json`);

  const hs = {};
  hs.nginx = await handshakes('nginx', ng.port);
  hs.gateway = await handshakes('gateway', gwTls.port);
  hs.node = await handshakes('node', tlsNode.grpcPort, client);

  // ------------------------------------------------------------------ report
  const m = machine();
  console.log(renderMachine(m, [
    ['Certificates', 'EC P-256, TLS 1.3 (as negotiated by each pair)'],
    ['Node load', `idgen bench: stream --count 1 --concurrency ${flags['stream-concurrency']}; ` +
      `batch --count 1000 --concurrency ${flags['batch-concurrency']}; ${flags.duration} s each`],
    ['REST load', `wrk -t${flags['wrk-threads']} -c${flags.connections} -d${flags.duration}s, keep-alive; ` +
      `gateway --threads ${flags['gateway-threads']}; nginx ${flags['nginx-workers']} workers`],
  ]));
  const nodePeers = {
    'stream-plain': betterOf(node.streamPlain1.ids_per_s, node.streamPlain2.ids_per_s),
    'batch-plain': betterOf(node.batchPlain1.ids_per_s, node.batchPlain2.ids_per_s),
  };
  const nodeRows = withRatios([
    { name: 'StreamIds, plaintext (before)', ...node.streamPlain1, peer: 'stream-plain' },
    { name: 'StreamIds, mutual TLS', ...node.streamTls, peer: 'stream-plain' },
    { name: 'StreamIds, plaintext (after)', ...node.streamPlain2, peer: 'stream-plain' },
    { name: 'NextIds(1000), plaintext (before)', ...node.batchPlain1, peer: 'batch-plain' },
    { name: 'NextIds(1000), mutual TLS', ...node.batchTls, peer: 'batch-plain' },
    { name: 'NextIds(1000), plaintext (after)', ...node.batchPlain2, peer: 'batch-plain' },
  ], nodePeers, { field: 'ids_per_s' });
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'node' },
    { key: 'ids_per_s', title: 'IDs/s' },
    { key: 'p50_us', title: 'p50 us' },
    { key: 'p99_us', title: 'p99 us' },
    { ...RATIO_COLUMN, title: 'vs plaintext' },
  ], nodeRows));

  const gwPeers = { nginx: betterOf(gw.nginx1.rps, gw.nginx2.rps), 'gateway-http': gw.http.rps };
  const gwRows = withRatios([
    { name: 'nginx HTTPS static /ids.json (before)', ...gw.nginx1, peer: 'nginx' },
    { name: 'gateway HTTP, node plaintext', ...gw.http, peer: 'nginx' },
    { name: 'gateway HTTPS, node mutual TLS', ...gw.https, peer: 'nginx' },
    { name: 'nginx HTTPS static /ids.json (after)', ...gw.nginx2, peer: 'nginx' },
  ], gwPeers);
  const httpsVsHttp = gw.https.rps / gw.http.rps;
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'REST' },
    { key: 'rps', title: 'req/s' },
    { key: 'p50_us', title: 'p50 us' },
    { key: 'p99_us', title: 'p99 us' },
    { key: 'non2xx', title: 'non-2xx' },
    { ...RATIO_COLUMN, title: 'vs nginx HTTPS' },
  ], gwRows));

  const hsRows = withRatios([
    { name: 'nginx', ...hs.nginx, peer: 'nginx' },
    { name: 'gateway (HTTPS listener)', ...hs.gateway, peer: 'nginx' },
    { name: 'node (gRPC, client certificate)', ...hs.node, peer: 'nginx' },
  ], { nginx: hs.nginx.handshakes_per_s }, { field: 'handshakes_per_s' });
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'full handshakes' },
    { key: 'handshakes_per_s', title: 'per s' },
    { ...RATIO_COLUMN, title: 'vs nginx' },
  ], hsRows));

  console.log();
  const targets = [
    [`StreamIds over mutual TLS >= 0.80 of plaintext: ${nodeRows[1].ratio.toFixed(2)}`, nodeRows[1].ratio >= 0.8],
    [`NextIds(1000) over mutual TLS >= 0.90 of plaintext: ${nodeRows[4].ratio.toFixed(2)}`, nodeRows[4].ratio >= 0.9],
    [`gateway HTTPS >= 0.80 of gateway HTTP: ${httpsVsHttp.toFixed(2)}`, httpsVsHttp >= 0.8],
    [`gateway HTTPS >= 0.50 of nginx HTTPS: ${gwRows[2].ratio.toFixed(2)}`, gwRows[2].ratio >= 0.5],
  ];
  for (const [line, met] of targets) console.log(`target ${line} ${verdict(met)}`);
  writeReport(flags.json, {
    benchmark: NAME,
    machine: m,
    flags: { ...flags, nginx },
    node: nodeRows,
    rest: gwRows,
    handshakes: hsRows,
    gateway_https_vs_http: httpsVsHttp,
    targets: targets.map(([line, met]) => ({ line, met })),
  });
}

try {
  await main();
} catch (err) {
  failed = true;
  console.error(`${NAME}: ${err.stack ?? err}`);
} finally {
  await Promise.allSettled(started.map((p) => (p.stop ? p.stop({ timeoutMs: 5000 }) : stopProcess(p))));
  if (flags.keep) log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
