#!/usr/bin/env node
// Copyright idgen authors.
//
// The REST gateway beside nginx, one machine, loopback only, in one go: `wrk`
// against the gateway (GET /v1/ids?count=1, one idgen node behind it) and
// against nginx serving a static JSON file of the same shape; one table with
// each row's ratio to nginx (the better of its two runs: the harder bar).
// The gateway runs in three configurations, each its own process in front of
// the same node: the default (coalescing on, prefetch off), --prefetch 1000,
// and --coalesce false (one backend call per request). nginx runs before and
// after them.
//
//   node bench/gateway_vs_nginx.mjs                # 10 s per run
//   node bench/gateway_vs_nginx.mjs --duration 30 --json report.json
//
// Also prints the default gateway's resident size after its run, with --idle
// keep-alive connections open and after they are closed; --soak S adds a
// run that long with the idle connections open, sampling the resident size
// every 10 s.
//
// Flags [defaults]: --duration [10] --connections [64] --wrk-threads [2]
//   --gateway-threads [2] --nginx-workers [2] --idle [1000] --soak [0 s]
//   --nginx PATH [nginx on PATH, else /usr/sbin/nginx] --idgen PATH
//   [IDGEN_BIN or build/bin/idgen] --keep (keep the temp dir) --json FILE
// A bad flag exits 2 naming it, before anything starts. Needs nginx
// (nginx-light) and wrk. Everything started here is stopped by pid.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
  IDGEN_BIN,
  sleep,
  startNode,
  stopProcess,
  tempDir,
} from '../tests/node/lib/harness.mjs';
import { startGateway } from '../tests/node/lib/gateway_harness.mjs';
import {
  betterOf,
  machine,
  RATIO_COLUMN,
  ratio,
  renderMachine,
  renderTable,
  verdict,
  withRatios,
  writeReport,
} from './lib/report.mjs';
import { log as logAs, parseFlags, requireTools, rssKib, usageExit } from './lib/run.mjs';
import { findNginx, runWrk as runWrk2, startNginx } from './lib/web_peers.mjs';

const NAME = 'gateway_vs_nginx';
const USAGE =
  'gateway_vs_nginx.mjs [--duration S] [--connections N] [--wrk-threads N] [--gateway-threads N] ' +
  '[--nginx-workers N] [--idle N] [--soak S] [--nginx PATH] [--idgen PATH] [--keep] [--json FILE]';
const log = (msg) => logAs(NAME, msg);
const RSS_TARGET_MIB = 64;

const flags = parseFlags(NAME, USAGE, {
  duration: { kind: 'int', min: 1, max: 3600, def: 10 },
  connections: { kind: 'int', min: 1, max: 10000, def: 64 },
  'wrk-threads': { kind: 'int', min: 1, max: 256, def: 2 },
  'gateway-threads': { kind: 'int', min: 1, max: 256, def: 2 },
  'nginx-workers': { kind: 'int', min: 1, max: 256, def: 2 },
  idle: { kind: 'int', min: 0, max: 10000, def: 1000 },
  soak: { kind: 'int', min: 0, max: 24 * 3600, def: 0 },
  nginx: { kind: 'string' },
  idgen: { kind: 'string', def: IDGEN_BIN },
  keep: { kind: 'bool', def: false },
  json: { kind: 'string' },
}, process.argv.slice(2));

const bin = flags.idgen;
if (!existsSync(bin)) usageExit(NAME, USAGE, `--idgen ${bin}: not built (scripts/build.sh)`);
requireTools(NAME, ['wrk']);
const nginx = await findNginx(NAME, USAGE, flags.nginx);

// Removed at the end, or on exit (^C) by the harness, unless --keep.
const tmp = flags.keep
  ? mkdtempSync(path.join(os.tmpdir(), 'idgen-gw-vs-nginx-'))
  : tempDir(null, 'idgen-gw-vs-nginx-');
const started = [];
let failed = false;

const runWrk = (name, url, seconds = flags.duration) =>
  runWrk2(NAME, tmp, name, url,
    { threads: flags['wrk-threads'], connections: flags.connections, seconds });

// Opens `n` keep-alive connections to `port`, each making one request;
// resolves once every one has its answer. Every 30 s each asks again, so
// that the gateway's idle timeout (60 s) keeps them for a long soak.
async function openIdle(port, n) {
  const sockets = [];
  const ask = (s) =>
    new Promise((resolve, reject) => {
      s.once('data', () => resolve());
      s.once('error', reject);
      s.write('GET /alive HTTP/1.1\r\nHost: x\r\n\r\n');
    });
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.setTimeout(10000, () => s.destroy(new Error('idle connection timed out')));
    sockets.push(s);
  }
  await Promise.all(sockets.map(ask));
  for (const s of sockets) s.setTimeout(0);
  const timer = setInterval(() => sockets.forEach((s) => s.write('GET /alive HTTP/1.1\r\nHost: x\r\n\r\n')), 30000);
  return {
    close() {
      clearInterval(timer);
      for (const s of sockets) s.destroy();
    },
  };
}

async function poolLine(port) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const requests = Number(text.match(/^idgen_gateway_pool_requests_total\S*pooled\S* (\S+)$/m)?.[1]);
    const calls = Number(text.match(/^idgen_gateway_pool_calls_total\S* (\S+)$/m)?.[1]);
    const per = ratio(requests, calls);
    if (per === null) return 'no pooled calls';
    return `${requests} requests in ${calls} backend calls (${per.toFixed(1)} per call)`;
  } catch (err) {
    return `metrics not read: ${err.message}`;
  }
}

async function main() {
  const node = await startNode(null, { stateDir: path.join(tmp, 'state'), bin });
  started.push(node);
  const gateway = async (args) => {
    const gw = await startGateway(null, {
      backends: [node.address],
      args: ['--threads', String(flags['gateway-threads']), ...args],
      bin,
    });
    started.push(gw);
    return gw;
  };
  const gateways = {
    default: await gateway([]),
    prefetch: await gateway(['--prefetch', '1000']),
    nocoalesce: await gateway(['--coalesce', 'false']),
  };
  const sample = await (await fetch(`${gateways.default.base}/v1/ids?count=1`)).text();
  const ng = await startNginx(nginx, tmp, sample, { workers: flags['nginx-workers'] });
  started.push(ng.proc);
  for (const gw of Object.values(gateways)) await (await fetch(`${gw.base}/v1/ids?count=1`)).arrayBuffer();

  const idsPath = '/v1/ids?count=1';
  const runs = {};
  runs.nginx1 = await runWrk('nginx1', `http://127.0.0.1:${ng.port}/ids.json`);
  runs.gateway = await runWrk('gateway', `${gateways.default.base}${idsPath}`);
  const rssLoad = rssKib(gateways.default.pid);
  runs.prefetch = await runWrk('prefetch', `${gateways.prefetch.base}${idsPath}`);
  const rssPrefetch = rssKib(gateways.prefetch.pid);
  runs.nocoalesce = await runWrk('nocoalesce', `${gateways.nocoalesce.base}${idsPath}`);
  const rssNoCoalesce = rssKib(gateways.nocoalesce.pid);
  runs.nginx2 = await runWrk('nginx2', `http://127.0.0.1:${ng.port}/ids.json`);
  const pool = await poolLine(gateways.default.port);

  let rssIdle = null;
  let rssAfter = null;
  if (flags.idle > 0) {
    const idle = await openIdle(gateways.default.port, flags.idle);
    await sleep(1000);
    rssIdle = rssKib(gateways.default.pid);
    idle.close();
    await sleep(1000);
    rssAfter = rssKib(gateways.default.pid);
  }

  let soak = null;
  if (flags.soak > 0) {
    log(`soak: ${flags.soak} s of wrk with ${flags.idle} idle keep-alive connections open`);
    const idle = flags.idle > 0 ? await openIdle(gateways.default.port, flags.idle) : null;
    const samples = [];
    const sampler = setInterval(() => samples.push(rssKib(gateways.default.pid)), 10000);
    try {
      soak = await runWrk('soak', `${gateways.default.base}${idsPath}`, flags.soak);
    } finally {
      clearInterval(sampler);
      idle?.close();
    }
    soak.rss_kib_every_10s = samples;
  }

  // ------------------------------------------------------------------ report
  const peers = { nginx: betterOf(runs.nginx1.rps, runs.nginx2.rps) };
  const rows = withRatios([
    { name: 'nginx static /ids.json (before)', run: 'nginx1', ...runs.nginx1, peer: 'nginx' },
    { name: 'gateway, default (coalescing)', run: 'gateway', ...runs.gateway, peer: 'nginx' },
    { name: 'gateway --prefetch 1000', run: 'prefetch', ...runs.prefetch, peer: 'nginx' },
    { name: 'gateway --coalesce false', run: 'nocoalesce', ...runs.nocoalesce, peer: 'nginx' },
    { name: 'nginx static /ids.json (after)', run: 'nginx2', ...runs.nginx2, peer: 'nginx' },
  ], peers);
  const m = machine();
  console.log(renderMachine(m, [
    ['Peer', `nginx ${flags['nginx-workers']} workers, static JSON of the same shape`],
    ['Load', `wrk -t${flags['wrk-threads']} -c${flags.connections} -d${flags.duration}s; ` +
      `gateway --threads ${flags['gateway-threads']}`],
  ]));
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'target' },
    { key: 'rps', title: 'req/s' },
    { key: 'p50_us', title: 'p50 us' },
    { key: 'p99_us', title: 'p99 us' },
    { key: 'non2xx', title: 'non-2xx' },
    { ...RATIO_COLUMN, title: 'vs nginx' },
  ], rows));
  for (const r of rows) if (r.socket_errors) console.log(`${r.run}: ${r.socket_errors}`);
  console.log();
  const mib = (k) => (k === null ? '-' : (k / 1024).toFixed(0));
  const gwRatio = rows[1].ratio;
  const targets = [
    {
      line: `target gateway (default) >= 0.50 of nginx (better run, ${peers.nginx.toFixed(0)}/s): ` +
        `${gwRatio === null ? 'n/a' : gwRatio.toFixed(2)}`,
      met: gwRatio !== null && gwRatio >= 0.5,
    },
  ];
  if (rssIdle !== null) {
    targets.push({
      line: `target gateway RSS < ${RSS_TARGET_MIB} MiB with ${flags.idle} idle keep-alive connections: ` +
        `${mib(rssIdle)} MiB`,
      met: rssIdle < RSS_TARGET_MIB * 1024,
    });
  }
  console.log(`default gateway's pool: ${pool}`);
  console.log(`RSS after the runs: default ${mib(rssLoad)} MiB, prefetch ${mib(rssPrefetch)} MiB, ` +
    `no coalescing ${mib(rssNoCoalesce)} MiB`);
  if (rssIdle !== null) {
    console.log(`default gateway RSS: ${mib(rssIdle)} MiB with ${flags.idle} idle keep-alive connections, ` +
      `${mib(rssAfter)} MiB after closing them`);
  }
  if (soak) {
    console.log(`soak: ${soak.rps.toFixed(0)} req/s, non-2xx ${soak.non2xx}; ` +
      `RSS MiB every 10 s: ${soak.rss_kib_every_10s.map(mib).join(' ')}`);
  }
  for (const t of targets) console.log(`${t.line} ${verdict(t.met)}`);

  writeReport(flags.json, {
    benchmark: NAME,
    machine: m,
    flags: { ...flags, nginx },
    peers,
    rows,
    pool,
    rss_kib: {
      default_after_run: rssLoad,
      prefetch: rssPrefetch,
      nocoalesce: rssNoCoalesce,
      idle: rssIdle,
      after_idle: rssAfter,
    },
    soak,
    targets,
  });
  if (rows.some((r) => r.non2xx > 0 && r.run !== 'nginx1' && r.run !== 'nginx2')) failed = true;
}

try {
  await main();
} catch (err) {
  console.error(`${NAME}: ${err.stack ?? err}`);
  failed = true;
} finally {
  await Promise.allSettled(started.map((p) => (p.stop ? p.stop({ timeoutMs: 5000 }) : stopProcess(p))));
  if (flags.keep) console.error(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
