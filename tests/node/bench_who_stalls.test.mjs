// Copyright idgen authors.
//
// Unit tests of bench/who_stalls.mjs's accounting: which task ran while a
// spinner was switched out, charged only for gaps at least the threshold
// long, per CPU, from sched_switch lines as `perf script -F cpu,time,trace`
// prints them. No perf needed.
// Run: node --test bench_who_stalls.test.mjs
import assert from 'node:assert/strict';
import test from 'node:test';

import { chargeGaps } from '../../bench/who_stalls.mjs';

// One sched_switch line on `cpu` at `t` seconds.
const sw = (cpu, t, prev, next) =>
  `[00${cpu}] ${t.toFixed(6)}: prev_comm=${prev} prev_pid=1 prev_prio=120 prev_state=R ==> ` +
  `next_comm=${next} next_pid=2 next_prio=120`;

test('a task that ran in a long gap is charged the time it ran; short gaps are not counted', () => {
  const rows = chargeGaps(
    [
      sw(0, 1.0, 'machine_stalls', 'kdamond.0'), // gap on CPU 0 starts
      sw(0, 1.0008, 'kdamond.0', 'kworker/0:1'), // kdamond ran 800 us
      sw(0, 1.001, 'kworker/0:1', 'machine_stalls'), // kworker 200 us; gap of 1000 us ends
      sw(1, 2.0, 'machine_stalls', 'ksoftirqd/1'), // gap on CPU 1 ...
      sw(1, 2.0001, 'ksoftirqd/1', 'machine_stalls'), // ... of 100 us: under the threshold
      'a line that is not a switch',
    ],
    300,
  );
  assert.equal(rows.length, 2);
  assert.deepEqual(rows.map((r) => [r.cpu, r.task, r.gaps]), [[0, 'kdamond.0', 1], [0, 'kworker/0:1', 1]]);
  assert.ok(Math.abs(rows[0].totalUs - 800) < 1e-6);
  assert.ok(Math.abs(rows[1].longestUs - 200) < 1e-6);
});

test('gaps on two CPUs are kept apart, and repeated gaps add up', () => {
  const rows = chargeGaps(
    [
      sw(0, 1.0, 'machine_stalls', 'cc1plus'),
      sw(1, 1.0, 'machine_stalls', 'cc1plus'),
      sw(0, 1.002, 'cc1plus', 'machine_stalls'),
      sw(1, 1.001, 'cc1plus', 'machine_stalls'),
      sw(0, 3.0, 'machine_stalls', 'cc1plus'),
      sw(0, 3.004, 'cc1plus', 'machine_stalls'),
    ],
    300,
  );
  const cpu0 = rows.find((r) => r.cpu === 0);
  const cpu1 = rows.find((r) => r.cpu === 1);
  assert.equal(cpu0.gaps, 2);
  assert.ok(Math.abs(cpu0.totalUs - 6000) < 1e-6);
  assert.ok(Math.abs(cpu0.longestUs - 4000) < 1e-6);
  assert.equal(cpu1.gaps, 1);
  assert.equal(rows[0], cpu0, 'sorted by total time, largest first');
});
