#!/usr/bin/env node
// Copyright idgen authors.
//
// Who takes the CPU away? Runs machine_stalls (one spinning thread pinned to
// each CPU, bench/machine_stalls.cc) under `perf record -e sched:sched_switch`
// and lists, per CPU and per task, how often that task ran while a spinner
// was switched out for longer than --min-us, and for how long. Gaps that no
// task accounts for (machine_stalls counts them, the trace shows nothing)
// are the hypervisor's. grpc_vs_redis.mjs runs it before its loads.
//
//   node bench/who_stalls.mjs                  # 8 s, gaps over 300 us
//   node bench/who_stalls.mjs --seconds 20 --min-us 500
//
// Flags [defaults]: --seconds [8, 1..600] --min-us [300]
//   --stalls PATH [machine_stalls beside IDGEN_BIN]
// Needs perf (Debian: linux-perf) and permission to trace (root, or
// kernel.perf_event_paranoid <= -1). Exit 2 on bad flags or without perf.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { IDGEN_BIN, tempDir } from '../tests/node/lib/harness.mjs';
import { parseFlags, requireTools, usageExit } from './lib/run.mjs';

export const DEFAULT_STALLS = path.join(path.dirname(IDGEN_BIN), 'machine_stalls');

// Per (cpu, task): how many spinner gaps of at least minUs it ran in, for how
// long in total and at most (µs). `lines` is `perf script -F cpu,time,trace`
// output of sched_switch events. A gap on a CPU runs from the switch away
// from the spinner to the switch back; every task switched in meanwhile is
// charged the part of the gap it ran.
export function chargeGaps(lines, minUs, spinner = 'machine_stalls') {
  const lineRe = /\[(\d+)\]\s+([\d.]+):.*prev_comm=(.*?) prev_pid=.*next_comm=(.*?) next_pid=/;
  const gapStart = new Map();
  const running = new Map();
  const since = new Map();
  const shares = new Map();
  const stats = new Map(); // "cpu\ttask" -> { cpu, task, gaps, totalUs, longestUs }
  for (const line of lines) {
    const m = lineRe.exec(line);
    if (!m) continue;
    const [cpu, t, prev, next] = [Number(m[1]), Number(m[2]), m[3], m[4]];
    if (running.has(cpu) && gapStart.has(cpu)) {
      const share = shares.get(cpu);
      const task = running.get(cpu);
      share.set(task, (share.get(task) ?? 0) + (t - since.get(cpu)) * 1e6);
    }
    running.set(cpu, next);
    since.set(cpu, t);
    if (prev === spinner && next !== spinner) {
      gapStart.set(cpu, t);
      shares.set(cpu, new Map());
    } else if (next === spinner && gapStart.has(cpu)) {
      const gapUs = (t - gapStart.get(cpu)) * 1e6;
      gapStart.delete(cpu);
      if (gapUs < minUs) continue;
      for (const [task, us] of shares.get(cpu)) {
        const key = `${cpu}\t${task}`;
        const s = stats.get(key) ?? { cpu, task, gaps: 0, totalUs: 0, longestUs: 0 };
        s.gaps += 1;
        s.totalUs += us;
        s.longestUs = Math.max(s.longestUs, us);
        stats.set(key, s);
      }
    }
  }
  return [...stats.values()].sort((a, b) => b.totalUs - a.totalUs);
}

// Runs machine_stalls under perf for `seconds`; returns its report and the
// table of who ran in the gaps, as text. Throws when perf fails.
export function whoStalls({ stalls = DEFAULT_STALLS, seconds = 8, minUs = 300 } = {}) {
  const dir = tempDir(null, 'idgen-who-stalls-');
  try {
    const data = path.join(dir, 'perf.data');
    const rec = spawnSync(
      'perf',
      ['record', '-q', '-e', 'sched:sched_switch', '-a', '-o', data, '--', stalls, '--seconds', String(seconds)],
      { encoding: 'utf8', timeout: (seconds + 60) * 1000 },
    );
    if (rec.status !== 0) throw new Error(`perf record: exit ${rec.status ?? rec.signal}\n${rec.stderr}`);
    // The trace can be large: to a file, not through a pipe buffer.
    const switches = path.join(dir, 'switches.txt');
    const fd = openSync(switches, 'w');
    try {
      spawnSync('perf', ['script', '-i', data, '-F', 'cpu,time,trace'], {
        stdio: ['ignore', fd, 'ignore'],
        timeout: 120000,
      });
    } finally {
      closeSync(fd);
    }
    const rows = chargeGaps(readFileSync(switches, 'utf8').split('\n'), minUs);
    const out = [rec.stdout.trimEnd(), '', `tasks that ran in spinner gaps over ${minUs} us (${seconds} s traced):`];
    out.push(`cpu  ${'task'.padEnd(24)}  gaps/s  total ms  longest us`);
    for (const r of rows) {
      out.push(`${String(r.cpu).padStart(3)}  ${r.task.padEnd(24)} ${(r.gaps / seconds).toFixed(2).padStart(7)} ` +
        `${(r.totalUs / 1000).toFixed(1).padStart(9)} ${r.longestUs.toFixed(0).padStart(11)}`);
    }
    if (rows.length === 0) {
      out.push("  none: every gap over the threshold ran no other task (the hypervisor's, if any)");
    }
    return out.join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const NAME = 'who_stalls';
  const USAGE = 'who_stalls.mjs [--seconds S] [--min-us US] [--stalls PATH]';
  const flags = parseFlags(NAME, USAGE, {
    seconds: { kind: 'int', min: 1, max: 600, def: 8 },
    'min-us': { kind: 'int', min: 1, max: 10_000_000, def: 300 },
    stalls: { kind: 'string', def: DEFAULT_STALLS },
  }, process.argv.slice(2));
  if (!existsSync(flags.stalls)) {
    usageExit(NAME, USAGE, `--stalls ${flags.stalls}: not built (cmake --build build --target machine_stalls)`);
  }
  requireTools(NAME, ['perf']);
  try {
    console.log(whoStalls({ stalls: flags.stalls, seconds: flags.seconds, minUs: flags['min-us'] }));
  } catch (err) {
    console.error(`${NAME}: ${err.message}`);
    process.exit(1);
  }
}
