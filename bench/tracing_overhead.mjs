#!/usr/bin/env node
// Copyright idgen authors.
//
// What tracing costs: the same node and load with tracing off
// (OTEL_SDK_DISABLED=true) and with every call traced and exported
// (OTEL_TRACES_SAMPLER=always_on, OTLP/HTTP to a sink in this process that
// accepts everything), in one go on one machine, loopback only. Runs
// alternate off, on, on, off (--rounds times) so that drift on a shared
// machine favours neither side; a fresh node per run. The peer of each
// traced row is the untraced median of the same mode.
//
//   node bench/tracing_overhead.mjs                      # defaults
//   node bench/tracing_overhead.mjs --modes unary --duration 5 --rounds 1
//
// Flags [defaults]: --modes [unary,stream] --concurrency [16] --duration [10]
//   --warmup [1] --rounds [2] --idgen PATH [IDGEN_BIN or build/bin/idgen]
//   --json FILE
// A bad flag exits 2 naming it, before anything starts; exit 1 when a run
// failed. Every node started here is stopped by pid.
import { existsSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { httpGet, IDGEN_BIN, sleep, startNode, stopNode, tempDir } from '../tests/node/lib/harness.mjs';
import { machine, RATIO_COLUMN, renderMachine, renderTable, withRatios, writeReport } from './lib/report.mjs';
import { idgenBench, log as logAs, parseFlags, usageExit } from './lib/run.mjs';

const NAME = 'tracing_overhead';
const USAGE =
  'tracing_overhead.mjs [--modes unary,stream,batch] [--concurrency N] [--duration S] [--warmup S] ' +
  '[--rounds N] [--idgen PATH] [--json FILE]';
const log = (msg) => logAs(NAME, msg);

const flags = parseFlags(NAME, USAGE, {
  modes: { kind: 'words', values: ['unary', 'stream', 'batch'], def: ['unary', 'stream'] },
  concurrency: { kind: 'int', min: 1, max: 10000, def: 16 },
  duration: { kind: 'seconds', min: 1, max: 3600, def: 10 },
  warmup: { kind: 'seconds', min: 0, max: 600, def: 1 },
  rounds: { kind: 'int', min: 1, max: 100, def: 2 },
  idgen: { kind: 'string', def: IDGEN_BIN },
  json: { kind: 'string' },
}, process.argv.slice(2));
if (!existsSync(flags.idgen)) usageExit(NAME, USAGE, `--idgen ${flags.idgen}: not built`);

// Removed at the end, or on exit (^C) by the harness.
const tmp = tempDir(null, 'idgen-tracing-');
let failed = false;
let node = null;

// The OTLP/HTTP sink: 200 with an empty (valid) Export*ServiceResponse for
// every POST; counts requests and bytes.
const sinkStats = { requests: 0, bytes: 0 };
const sink = http.createServer((req, res) => {
  req.on('data', (c) => (sinkStats.bytes += c.length));
  req.on('end', () => {
    sinkStats.requests++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
    res.end();
  });
});

function nodeEnv(side, sinkPort) {
  if (side === 'off') return { OTEL_SDK_DISABLED: 'true' };
  return {
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}`,
    OTEL_BSP_MAX_QUEUE_SIZE: '262144',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '8192',
    OTEL_BSP_SCHEDULE_DELAY: '200',
  };
}

// Spans the node dropped (queue full), from its /metrics.
async function spansDropped(n) {
  const { body } = await httpGet(n.adminPort, '/metrics');
  const line = body
    .split('\n')
    .filter((l) => l.startsWith('idgen_telemetry_dropped_total') && l.includes('traces'))
    .pop();
  return line ? Number(line.split(' ').pop()) : 0;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

async function main() {
  await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkPort = sink.address().port;
  const results = {};
  let dropped = 0;
  for (const mode of flags.modes) {
    results[mode] = { off: [], on: [] };
    const order = [];
    for (let r = 0; r < flags.rounds; r++) order.push('off', 'on', 'on', 'off');
    for (const [i, side] of order.entries()) {
      node = await startNode(null, {
        stateDir: path.join(tmp, `${mode}-${i}`),
        env: nodeEnv(side, sinkPort),
        bin: flags.idgen,
      });
      const r = await idgenBench(node.address, {
        mode,
        count: mode === 'batch' ? 1000 : 1,
        concurrency: flags.concurrency,
        duration: flags.duration,
        warmup: flags.warmup,
      }, { bin: flags.idgen });
      if (side === 'on') {
        await sleep(1000); // the last batch leaves
        dropped += await spansDropped(node);
      }
      results[mode][side].push(r.rps);
      log(`${mode} tracing=${side}: ${r.rps.toFixed(0)} req/s`);
      await stopNode(node);
      node = null;
    }
  }

  const peers = {};
  const rows = [];
  for (const mode of flags.modes) {
    const { off, on } = results[mode];
    peers[`${mode} off`] = median(off);
    const each = (xs) => xs.map((x) => x.toFixed(0)).join(' / ');
    const peer = `${mode} off`;
    rows.push({ name: `${mode}, tracing off`, mode, side: 'off', runs: each(off), rps: median(off), peer });
    rows.push({ name: `${mode}, every call traced`, mode, side: 'on', runs: each(on), rps: median(on), peer });
  }
  const table = withRatios(rows, peers);
  const m = machine();
  console.log(renderMachine(m, [
    ['Peer', 'the same node with OTEL_SDK_DISABLED=true'],
    ['Runs', `idgen bench --count 1 (1000 in batch mode) --concurrency ${flags.concurrency} ` +
      `--duration ${flags.duration}, ${flags.rounds} x (off on on off), a fresh node each`],
  ]));
  console.log();
  console.log(renderTable([
    { key: 'name', title: 'mode' },
    { key: 'runs', title: 'req/s, each run' },
    { key: 'rps', title: 'median' },
    { ...RATIO_COLUMN, title: 'vs off' },
  ], table));
  console.log(`traced runs: spans dropped (queue full) ${dropped}; ` +
    `the OTLP sink got ${sinkStats.requests} exports, ${sinkStats.bytes} bytes`);
  writeReport(flags.json, {
    benchmark: NAME,
    machine: m,
    flags,
    peers,
    rows: table,
    spans_dropped: dropped,
    sink: sinkStats,
  });
}

try {
  await main();
} catch (err) {
  console.error(`${NAME}: ${err.stack ?? err}`);
  failed = true;
} finally {
  if (node) await stopNode(node);
  sink.close();
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
