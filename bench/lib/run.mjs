// Copyright idgen authors.
//
// What the peer benchmarks (bench/*.mjs) share besides the report: flags
// (checked before anything starts, exit 2 naming the bad one), `idgen bench`
// as the load generator, and readings of /proc (resident size, CPU time, the
// hypervisor's steal time). Processes are started and stopped through the
// test harness (tests/node/lib/harness.mjs), by pid, on loopback.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { runIdgen } from '../../tests/node/lib/harness.mjs';

// Prints "NAME: message" and the usage to stderr, exits 2.
export function usageExit(name, usage, message) {
  console.error(`${name}: ${message}\nusage: ${usage}`);
  process.exit(2);
}

// Parses `argv` against `spec` ({ flag: { kind, min, max, def, values } }):
//   kind 'int'      a whole number in min..max
//   kind 'seconds'  a decimal number of seconds in min..max
//   kind 'number'   a decimal number in min..max
//   kind 'ints'     comma-separated whole numbers in min..max (a list)
//   kind 'words'    comma-separated words, each one of `values` if given
//   kind 'choice'   one of `values`
//   kind 'string'   any text
//   kind 'bool'     a flag without value
// Returns { flag: value } with defaults; any problem exits 2 naming the flag.
export function parseFlags(name, usage, spec, argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(spec).map(([k, s]) => [k, { type: s.kind === 'bool' ? 'boolean' : 'string' }]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usageExit(name, usage, err.message);
  }
  const bad = (flag, what, raw) => usageExit(name, usage, `--${flag} must be ${what}, not "${raw}"`);
  const out = {};
  for (const [flag, s] of Object.entries(spec)) {
    const raw = values[flag];
    if (raw === undefined) {
      out[flag] = s.def;
      continue;
    }
    const range = s.max === undefined ? `>= ${s.min}` : `in ${s.min}..${s.max}`;
    const inRange = (n) => n >= s.min && (s.max === undefined || n <= s.max);
    switch (s.kind) {
      case 'int':
        if (!/^\d+$/.test(raw) || !inRange(Number(raw))) bad(flag, `a whole number ${range}`, raw);
        out[flag] = Number(raw);
        break;
      case 'seconds':
        if (!/^\d+(\.\d+)?$/.test(raw) || !inRange(Number(raw))) bad(flag, `a number of seconds ${range}`, raw);
        out[flag] = Number(raw);
        break;
      case 'number':
        if (!/^\d+(\.\d+)?$/.test(raw) || !inRange(Number(raw))) bad(flag, `a number ${range}`, raw);
        out[flag] = Number(raw);
        break;
      case 'ints':
        out[flag] = raw.split(',').map((x) => {
          if (!/^\d+$/.test(x) || !inRange(Number(x))) bad(flag, `whole numbers ${range}, comma-separated`, x);
          return Number(x);
        });
        break;
      case 'words':
        out[flag] = raw.split(',').map((x) => {
          const allowed = (v) => (v instanceof RegExp ? v.test(x) : v === x);
          if (!/^[\w.-]+$/.test(x) || (s.values && !s.values.some(allowed))) {
            bad(flag, s.what ?? `one of ${s.values.join(', ')}`, x);
          }
          return x;
        });
        break;
      case 'choice':
        if (!s.values.includes(raw)) bad(flag, s.values.join(' or '), raw);
        out[flag] = raw;
        break;
      default:
        out[flag] = raw;
    }
  }
  return out;
}

// Exits 2 when a program the benchmark needs is not on PATH.
export function requireTools(name, tools) {
  for (const tool of tools) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      console.error(`${name}: ${tool} not found`);
      process.exit(2);
    }
  }
}

// True when `chrt -f PRIO` may be used here (root or CAP_SYS_NICE).
export function canRealtime(prio = 10) {
  try {
    execFileSync('chrt', ['-f', String(prio), 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const log = (name, msg) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${name}: ${msg}`);

// Runs `idgen bench --target TARGET FLAGS --json` to completion and returns
// its JSON object; throws with its stderr when it fails. `prefix` as for
// startNode (taskset, chrt). Bounded by duration + warmup + a minute.
export async function idgenBench(target, flags, { prefix, bin } = {}) {
  const seconds = Number(flags.duration ?? 10) + Number(flags.warmup ?? 1);
  const args = ['bench', '--target', target, '--json'];
  for (const [k, v] of Object.entries(flags)) args.push(`--${k}`, String(v));
  const r = await runIdgen(args, { prefix, bin, timeoutMs: (seconds + 60) * 1000 });
  if (r.code !== 0) throw new Error(`idgen ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

// VmRSS of `pid` in KiB, 0 when it is gone.
export function rssKib(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

// User + system CPU seconds of `pid` so far (0 when it is gone).
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14, stime 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return 0;
  }
}

// The hypervisor's steal time so far, in ms over all CPUs: time a vCPU
// wanted to run and the host ran something else.
export function stealMs() {
  const cpu = readFileSync('/proc/stat', 'utf8').match(/^cpu\s+(.*)$/m);
  return cpu ? (Number(cpu[1].split(/\s+/)[7]) * 1000) / ticksPerSecond() : 0;
}

// The 1-minute load average.
export const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
