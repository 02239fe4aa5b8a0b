// Copyright idgen authors.
//
// Unit tests of bench/lib/report.mjs, the one place where the benchmarks
// divide by a peer's figure and render their table:
//   - each row is divided by the peer it names, by exact key: a row whose
//     name starts like another peer's key ("unary" beside "unix") is still
//     divided by its own peer;
//   - a peer figure of zero, missing or not a number gives "n/a", never a
//     crash or Infinity; a misspelt peer key throws;
//   - the better of a peer's runs is the bar;
//   - the table and the machine header carry what they promise.
// Run: node --test bench_report.test.mjs (no binary needed)
import assert from 'node:assert/strict';
import test from 'node:test';

import {
  betterOf,
  formatCell,
  machine,
  RATIO_COLUMN,
  ratio,
  renderMachine,
  renderTable,
  withRatios,
} from '../../bench/lib/report.mjs';

test('ratio divides by the peer, and gives null for a zero, negative or missing peer', () => {
  assert.equal(ratio(150, 100), 1.5);
  assert.equal(ratio(0, 100), 0);
  assert.equal(ratio(150, 0), null);
  assert.equal(ratio(150, -1), null);
  assert.equal(ratio(150, undefined), null);
  assert.equal(ratio(150, Number.NaN), null);
  assert.equal(ratio(undefined, 100), null);
  assert.equal(ratio(150, Number.POSITIVE_INFINITY), null);
});

test('each row is divided by the peer it names, whatever its name starts with', () => {
  const peers = { tcp: 100_000, unix: 200_000 };
  const rows = withRatios(
    [
      { name: 'unary', rps: 50_000, peer: 'tcp' },
      { name: 'ustream', rps: 300_000, peer: 'unix' },
      { name: 'stream', rps: 150_000, peer: 'tcp' },
      { name: 'uhalf', rps: 100_000, peer: 'unix' },
    ],
    peers,
  );
  const by = Object.fromEntries(rows.map((r) => [r.name, r.ratio]));
  assert.equal(by.unary, 0.5, 'the unary row is a TCP row: divided by Redis on TCP');
  assert.equal(by.ustream, 1.5);
  assert.equal(by.stream, 1.5);
  assert.equal(by.uhalf, 0.5);
});

test('a peer that measured zero (or was not run) gives n/a rows, the report still renders', () => {
  const rows = withRatios(
    [
      { name: 'peer itself', rps: 0 },
      { name: 'ours on a socket', rps: 90_000, peer: 'unix' },
      { name: 'ours', rps: 90_000, peer: 'tcp' },
    ],
    { tcp: 100_000, unix: 0 },
  );
  assert.equal(rows[0].ratio, null, 'a row without a peer has no ratio');
  assert.equal(rows[1].ratio, null);
  assert.equal(rows[2].ratio, 0.9);
  const table = renderTable([{ key: 'name', title: '' }, { key: 'rps', title: 'requests/s' }, RATIO_COLUMN], rows);
  assert.match(table, /^ours on a socket\s+90000\s+n\/a$/m);
  assert.match(table, /^ours\s+90000\s+0\.90$/m);
});

test('a row naming a peer that was not measured throws, naming both', () => {
  assert.throws(
    () => withRatios([{ name: 'NextId', rps: 1, peer: 'redis' }], { 'redis-tcp': 1 }),
    /row "NextId" names peer "redis", which is not one of: redis-tcp/,
  );
  // Not fooled by keys every object has.
  assert.throws(() => withRatios([{ name: 'x', rps: 1, peer: 'toString' }], {}), /names peer "toString"/);
});

test('withRatios leaves the rows it was given alone and can divide another field', () => {
  const rows = [{ name: 'batch', ids: 3_900_000, rps: 3900, peer: 'ceiling' }];
  const out = withRatios(rows, { ceiling: 4_096_000 }, { field: 'ids' });
  assert.equal(rows[0].ratio, undefined);
  assert.ok(Math.abs(out[0].ratio - 3_900_000 / 4_096_000) < 1e-12);
});

test('the better of a peer runs is the bar; runs that are not numbers are ignored', () => {
  assert.equal(betterOf(100, 120), 120);
  assert.equal(betterOf(120, undefined, Number.NaN), 120);
  assert.equal(betterOf(), 0);
  assert.equal(betterOf(null, undefined), 0);
});

test('cells: decimals as asked, missing values as "-" or the column missing text', () => {
  assert.equal(formatCell(1234.567, { digits: 1 }), '1234.6');
  assert.equal(formatCell(null), '-');
  assert.equal(formatCell(Number.NaN, { missing: 'n/a' }), 'n/a');
  assert.equal(formatCell('text'), 'text');
});

test('the table aligns the first column left and the others right, one line per row', () => {
  const table = renderTable(
    [{ key: 'name', title: 'run' }, { key: 'rps', title: 'req/s' }, { key: 'p99', title: 'p99 us', digits: 1 }],
    [
      { name: 'redis INCR', rps: 118000, p99: 580 },
      { name: 'idgen StreamIds', rps: 9, p99: null },
    ],
  );
  assert.deepEqual(table.split('\n'), [
    'run               req/s  p99 us',
    'redis INCR       118000   580.0',
    'idgen StreamIds       9       -',
  ]);
});

test('the machine header names CPU, cores, kernel, load average and memory', () => {
  const m = machine();
  assert.ok(m.cores >= 1);
  assert.equal(typeof m.cpu, 'string');
  assert.match(m.load, /^\d+\.\d\d \d+\.\d\d \d+\.\d\d$/);
  const text = renderMachine(m, [['Peer', 'redis-server 7']]);
  for (const label of ['Date:', 'CPU:', 'Kernel:', 'Load average:', 'Memory:', 'Peer:']) {
    assert.match(text, new RegExp(`^${label}`, 'm'));
  }
  assert.match(text, new RegExp(`^CPU:\\s+${m.cores} \\* `, 'm'));
});
