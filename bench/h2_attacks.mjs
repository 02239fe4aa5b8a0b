#!/usr/bin/env node
// Copyright idgen authors.
//
// The HTTP/2 attack report: each flood that gRPC 1.51 is open to, run by one
// connection against a real `idgen serve` on loopback, once with the node's
// default bounds (--grpc-max-streams, --grpc-memory-mib and the fixed limits
// of src/server/grpc_limits.h) and once with the loosest bounds the flags
// allow. For each it prints the node's resident memory (before, peak during,
// 10 s after the attacker left) and the p99 latency of a legitimate client
// (`idgen bench`, unary NextId at a paced rate) during the attack.
// Run by hand; the regression tests are tests/node/h2_hardening.test.mjs.
//
//   node bench/h2_attacks.mjs [--duration 3] [--only a,b] [--loose-only|--bounded-only]
//       [--baseline-bin PATH] [--json FILE]
//
// --baseline-bin runs the "loose" rows with another idgen binary and no
// flags (e.g. a build of a release without the bounds), instead of this one
// with the loosest flags.
//
// Attacks: rapid-reset, rapid-reset-unknown, continuation, streams, unread.
// Exit 2 on bad flags, 1 when a node could not be started.
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';

import { idgenBin, sleep, startNode, stopNode, tempDir } from '../tests/node/lib/harness.mjs';
import {
  continuationFlood,
  openStreams,
  rapidReset,
  rssBytes,
  sampleRss,
  UNKNOWN_METHOD,
  unreadAnswers,
} from '../tests/node/lib/h2_attack.mjs';
import { machine, renderMachine } from './lib/report.mjs';

const ATTACKS = {
  'rapid-reset': (port, ms) => rapidReset(port, { durationMs: ms }),
  'rapid-reset-unknown': (port, ms) => rapidReset(port, { durationMs: ms, method: UNKNOWN_METHOD }),
  continuation: (port, ms) => continuationFlood(port, { durationMs: ms }),
  streams: (port, ms) => openStreams(port, { streams: 50_000, durationMs: ms }),
  unread: (port, ms) => unreadAnswers(port, { calls: 6000, count: 10000, durationMs: ms }),
};
// How long after the attack the resident size is read again: a node works
// off a rapid-reset backlog for a few seconds, then trims.
const AFTER_MS = 10_000;
const LOOSE = ['--grpc-max-streams', '1000000', '--grpc-memory-mib', '1048576'];

function usage(message) {
  console.error(
    `h2_attacks: ${message}\nusage: h2_attacks.mjs [--duration S] [--only ${Object.keys(ATTACKS).join(',')}] ` +
      '[--loose-only|--bounded-only] [--json FILE]',
  );
  process.exit(2);
}

function parseFlags(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string' },
        only: { type: 'string' },
        'loose-only': { type: 'boolean' },
        'bounded-only': { type: 'boolean' },
        json: { type: 'string' },
        'baseline-bin': { type: 'string' },
      },
      strict: true,
    }));
  } catch (e) {
    usage(e.message);
  }
  const duration = values.duration === undefined ? 3 : Number(values.duration);
  if (!/^\d+$/.test(values.duration ?? '3') || duration < 1 || duration > 60) {
    usage(`--duration must be a whole number of seconds in 1..60, got "${values.duration}"`);
  }
  const only = values.only ? values.only.split(',') : Object.keys(ATTACKS);
  for (const a of only) if (!ATTACKS[a]) usage(`unknown attack "${a}"`);
  if (values['loose-only'] && values['bounded-only']) usage('--loose-only and --bounded-only exclude each other');
  const modes = values['loose-only'] ? ['loose'] : values['bounded-only'] ? ['bounded'] : ['bounded', 'loose'];
  if (values['baseline-bin'] !== undefined && !existsSync(values['baseline-bin'])) {
    usage(`--baseline-bin ${values['baseline-bin']}: no such file`);
  }
  return { duration, only, modes, json: values.json, baseline: values['baseline-bin'] };
}

// `idgen bench` as the legitimate client, in its own process.
function legitimateClient(target, seconds) {
  return new Promise((resolve) => {
    const child = spawn(
      idgenBin(),
      ['bench', '--target', target, '--mode', 'unary', '--count', '1', '--concurrency', '1',
        '--rate', '200', '--duration', String(seconds), '--warmup', '0', '--timeout', '5', '--json'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 20) * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, ...JSON.parse(out) });
      } catch {
        resolve({ code, error: err.trim().split('\n').pop() || `exit ${code}` });
      }
    });
  });
}

const mib = (b) => (b / 2 ** 20).toFixed(0);

async function runOne(name, mode, seconds, baseline) {
  const dir = tempDir(null, 'idgen-h2-');
  const args = mode === 'loose' && !baseline ? LOOSE : [];
  const bin = mode === 'loose' && baseline ? baseline : undefined;
  const node = await startNode(null, { stateDir: dir, args, bin });
  try {
    await sleep(300);
    const before = rssBytes(node.pid);
    const rss = sampleRss(node.pid, 25);
    const [attack, legit] = await Promise.all([
      ATTACKS[name](node.grpcPort, seconds * 1000),
      legitimateClient(node.address, seconds),
    ]);
    attack.close?.();
    const peak = rss.stop();
    await sleep(AFTER_MS);
    const after = rssBytes(node.pid);
    return {
      attack: name,
      mode,
      rss_before_mib: Number(mib(before)),
      rss_peak_mib: Number(mib(peak)),
      rss_after_mib: Number(mib(after)),
      node_alive: after > 0,
      frames_sent: attack.steps,
      closed_by_node: attack.closedByServer,
      goaway_code: attack.goaway?.errorCode ?? null,
      refused_streams: attack.refusedStreams,
      legit_ok: legit.requests ?? null,
      legit_errors: legit.error_total ?? null,
      legit_p99_us: legit.p99_us ?? null,
      legit_error: legit.error ?? null,
    };
  } finally {
    await stopNode(node, { timeoutMs: 5000 });
  }
}

async function main() {
  const flags = parseFlags(process.argv.slice(2));
  const header = machine();
  console.log(renderMachine(header, [
    ['Node', idgenBin()],
    ['Runs', `attack ${flags.duration} s per row; legitimate client: idgen bench unary, 200/s`],
  ]));
  const rows = [];
  for (const name of flags.only) {
    for (const mode of flags.modes) {
      const row = await runOne(name, mode, flags.duration, flags.baseline);
      rows.push(row);
      console.log(
        `${name.padEnd(20)} ${mode.padEnd(8)} rss ${String(row.rss_before_mib).padStart(5)} -> peak ` +
          `${String(row.rss_peak_mib).padStart(5)} -> 10 s after ${String(row.rss_after_mib).padStart(5)} MiB  ` +
          `frames ${String(row.frames_sent).padStart(8)}  closed ${row.closed_by_node ? 'yes' : 'no '}  ` +
          `legit p99 ${row.legit_p99_us === null ? `n/a (${row.legit_error})` : `${row.legit_p99_us.toFixed(0)} us`}` +
          `${row.legit_errors ? `, ${row.legit_errors} of ${row.legit_ok + row.legit_errors} failed` : ''}`,
      );
    }
  }
  if (flags.json) writeFileSync(flags.json, JSON.stringify({ machine: header, rows }, null, 2));
}

main().catch((e) => {
  console.error(`h2_attacks: ${e.stack || e}`);
  process.exit(1);
});
