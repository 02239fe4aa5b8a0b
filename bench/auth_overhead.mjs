#!/usr/bin/env node
// Copyright idgen authors.
//
// What API keys, JWTs and quotas cost, one machine, loopback only, in one
// go, each authenticated figure beside its open self measured in the same run:
//   1. node, StreamIds (one ID per request): no authentication, an API key
//      with a quota far above the load (--auth-keys), a JWT (ES256, signed
//      here, checked against --jwt-jwks-file, with a per-subject quota far
//      above the load), none again (`idgen bench`, --api-key-file holding
//      the key or the token)
//   2. REST gateway (GET /v1/ids?count=1, keep-alive, wrk): open gateway and
//      node; gateway and node with --auth-keys and the JWT flags, wrk sending
//      the key, then the JWT, and the gateway its own key to the node; open
//      again
// The keys are made with `idgen keys new`; the quotas are 1e9 IDs/s, burst
// 1e9, so no request is refused and only the checks are measured. One token
// is sent throughout: the verifier's per-token cache is what is measured.
//
//   node bench/auth_overhead.mjs                 # 10 s per run
//   node bench/auth_overhead.mjs --duration 30 --json report.json
//
// Flags [defaults]: --duration [10] --stream-concurrency [64]
//   --connections [64] --wrk-threads [2] --gateway-threads [2]
//   --idgen PATH [IDGEN_BIN or build/bin/idgen] --keep (keep the temp dir)
//   --json FILE
// A bad flag exits 2 naming it, before anything starts. Needs wrk.
// Everything started here is stopped by pid.
import crypto from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { IDGEN_BIN, runIdgen, startNode, stopProcess, tempDir } from '../tests/node/lib/harness.mjs';
import { startGateway } from '../tests/node/lib/gateway_harness.mjs';
import {
  betterOf, machine, RATIO_COLUMN, renderMachine, renderTable, verdict, withRatios, writeReport,
} from './lib/report.mjs';
import { idgenBench, log as logAs, parseFlags, requireTools, usageExit } from './lib/run.mjs';
import { runWrk } from './lib/web_peers.mjs';

const NAME = 'auth_overhead';
const USAGE =
  'auth_overhead.mjs [--duration S] [--stream-concurrency N] [--connections N] ' +
  '[--wrk-threads N] [--gateway-threads N] [--idgen PATH] [--keep] [--json FILE]';
const log = (msg) => logAs(NAME, msg);

const flags = parseFlags(NAME, USAGE, {
  duration: { kind: 'int', min: 1, max: 3600, def: 10 },
  'stream-concurrency': { kind: 'int', min: 1, max: 4096, def: 64 },
  connections: { kind: 'int', min: 1, max: 10000, def: 64 },
  'wrk-threads': { kind: 'int', min: 1, max: 256, def: 2 },
  'gateway-threads': { kind: 'int', min: 1, max: 256, def: 2 },
  idgen: { kind: 'string', def: IDGEN_BIN },
  keep: { kind: 'bool', def: false },
  json: { kind: 'string' },
}, process.argv.slice(2));

const bin = flags.idgen;
if (!existsSync(bin)) usageExit(NAME, USAGE, `--idgen ${bin}: not built (scripts/build.sh)`);
requireTools(NAME, ['wrk']);

const tmp = flags.keep
  ? mkdtempSync(path.join(os.tmpdir(), 'idgen-auth-overhead-'))
  : tempDir(null, 'idgen-auth-overhead-');
const started = [];
let failed = false;

async function newKey(name, scopes) {
  const r = await runIdgen(['keys', 'new', '--name', name, '--scopes', scopes,
    '--ids-per-second', '1000000000', '--burst', '1000000000'], { bin });
  if (r.code !== 0) throw new Error(`idgen keys new: ${r.stderr}`);
  const [key, ...rest] = r.stdout.split('\n');
  const file = path.join(tmp, `${name}.key`);
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, file, entry: JSON.parse(rest.join('\n')) };
}

// An ES256 JWKS in the temp dir and a token for it (valid well past the
// run); returns the node and gateway flags and the token in a file.
function newJwt() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwks = path.join(tmp, 'jwks.json');
  writeFileSync(jwks, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'b1', alg: 'ES256' }] }));
  const b64 = (b) => Buffer.from(b).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: 'https://id.example', aud: 'idgen', sub: 'bench', iat: now, exp: now + 3600 + 20 * flags.duration,
    scope: 'ids:generate' };
  const input = `${b64(JSON.stringify({ alg: 'ES256', kid: 'b1', typ: 'JWT' }))}.${b64(JSON.stringify(claims))}`;
  const token = `${input}.${b64(crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }))}`;
  const file = path.join(tmp, 'bench.jwt');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return {
    token,
    file,
    args: ['--jwt-jwks-file', jwks, '--jwt-issuer', claims.iss, '--jwt-audience', claims.aud,
      '--jwt-ids-per-second', '1000000000', '--jwt-burst', '1000000000'],
  };
}

async function main() {
  const caller = await newKey('bench', 'ids:generate');
  const gatewayKey = await newKey('gateway', 'ids:generate,ids:decode,info');
  const keyFile = path.join(tmp, 'keys.json');
  writeFileSync(keyFile, JSON.stringify({ keys: [caller.entry, gatewayKey.entry] }));
  const jwt = newJwt();

  const openNode = await startNode(null, { stateDir: path.join(tmp, 'open'), bin });
  started.push(openNode);
  const keyedNode = await startNode(null, { stateDir: path.join(tmp, 'keyed'), bin,
    args: ['--auth-keys', keyFile, ...jwt.args] });
  started.push(keyedNode);

  const bench = async (target, extra) => {
    const r = await idgenBench(target, { duration: flags.duration, warmup: 1, ...extra }, { bin });
    if (r.duplicates !== 0 || r.error_total !== 0) throw new Error(`idgen bench: ${JSON.stringify(r)}`);
    return r;
  };
  const stream = { mode: 'stream', count: 1, concurrency: flags['stream-concurrency'] };
  const node = {};
  node.open1 = await bench(openNode.address, stream);
  node.keyed = await bench(keyedNode.address, { ...stream, 'api-key-file': caller.file });
  node.jwt = await bench(keyedNode.address, { ...stream, 'api-key-file': jwt.file });
  node.open2 = await bench(openNode.address, stream);

  const gwThreads = ['--threads', String(flags['gateway-threads'])];
  const gwOpen = await startGateway(null, { backends: [openNode.address], args: gwThreads, bin });
  started.push(gwOpen);
  const gwKeyed = await startGateway(null, {
    backends: [keyedNode.address],
    args: [...gwThreads, '--auth-keys', keyFile, ...jwt.args, '--backend-api-key-file', gatewayKey.file],
    bin,
  });
  started.push(gwKeyed);
  const wrk = (name, url, headers = []) => runWrk(NAME, tmp, name, url,
    { threads: flags['wrk-threads'], connections: flags.connections, seconds: flags.duration, headers });
  const ids = '/v1/ids?count=1';
  const rest = {};
  rest.open1 = await wrk('gateway-open-1', `${gwOpen.base}${ids}`);
  rest.keyed = await wrk('gateway-keyed', `${gwKeyed.base}${ids}`, [`Authorization: Bearer ${caller.key}`]);
  rest.jwt = await wrk('gateway-jwt', `${gwKeyed.base}${ids}`, [`Authorization: Bearer ${jwt.token}`]);
  rest.open2 = await wrk('gateway-open-2', `${gwOpen.base}${ids}`);
  for (const [name, r] of Object.entries(rest)) {
    if (r.non2xx !== 0) throw new Error(`wrk ${name}: ${r.non2xx} non-2xx answers`);
  }

  // ------------------------------------------------------------------ report
  const m = machine();
  console.log(renderMachine(m, [
    ['Keys', 'idgen keys new, quota 1e9 IDs/s (burst 1e9): never refused'],
    ['JWT', 'ES256, one token (cached after its first check), per-subject quota 1e9 IDs/s: never refused'],
    ['Node load', `idgen bench: stream --count 1 --concurrency ${flags['stream-concurrency']}; ${flags.duration} s each`],
    ['REST load', `wrk -t${flags['wrk-threads']} -c${flags.connections} -d${flags.duration}s, keep-alive; ` +
      `gateway --threads ${flags['gateway-threads']}`],
  ]));
  const nodeRows = withRatios([
    { name: 'StreamIds, no authentication (before)', ...node.open1, peer: 'open' },
    { name: 'StreamIds, API key + quota', ...node.keyed, peer: 'open' },
    { name: 'StreamIds, JWT + quota', ...node.jwt, peer: 'open' },
    { name: 'StreamIds, no authentication (after)', ...node.open2, peer: 'open' },
  ], { open: betterOf(node.open1.ids_per_s, node.open2.ids_per_s) }, { field: 'ids_per_s' });
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'node' },
    { key: 'ids_per_s', title: 'IDs/s' },
    { key: 'p50_us', title: 'p50 us' },
    { key: 'p99_us', title: 'p99 us' },
    { ...RATIO_COLUMN, title: 'vs open' },
  ], nodeRows));
  const restRows = withRatios([
    { name: 'gateway, no authentication (before)', ...rest.open1, peer: 'open' },
    { name: 'gateway, API key + quota (node keyed too)', ...rest.keyed, peer: 'open' },
    { name: 'gateway, JWT + quota (node keyed too)', ...rest.jwt, peer: 'open' },
    { name: 'gateway, no authentication (after)', ...rest.open2, peer: 'open' },
  ], { open: betterOf(rest.open1.rps, rest.open2.rps) });
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'REST' },
    { key: 'rps', title: 'req/s' },
    { key: 'p50_us', title: 'p50 us' },
    { key: 'p99_us', title: 'p99 us' },
    { ...RATIO_COLUMN, title: 'vs open' },
  ], restRows));
  console.log();
  const targets = [
    [`StreamIds with a key >= 0.90 of without: ${nodeRows[1].ratio.toFixed(2)}`, nodeRows[1].ratio >= 0.9],
    [`StreamIds with a JWT >= 0.90 of without: ${nodeRows[2].ratio.toFixed(2)}`, nodeRows[2].ratio >= 0.9],
    [`REST with a key >= 0.90 of without: ${restRows[1].ratio.toFixed(2)}`, restRows[1].ratio >= 0.9],
    [`REST with a JWT >= 0.90 of without: ${restRows[2].ratio.toFixed(2)}`, restRows[2].ratio >= 0.9],
  ];
  for (const [line, met] of targets) console.log(`target ${line} ${verdict(met)}`);
  writeReport(flags.json, {
    benchmark: NAME,
    machine: m,
    flags,
    node: nodeRows,
    rest: restRows,
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
