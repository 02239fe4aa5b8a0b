// Copyright idgen authors.
//
// The one report of every peer benchmark (bench/*.mjs): the machine header
// that leveldb's db_bench prints before its figures, the ratios of each row
// to the peer it is measured against, and the table. Nothing else in bench/
// divides by a peer figure or formats a table, so that a ratio is computed
// one way, in one place, and tested here (tests/node/bench_report.test.mjs).
//
//   const peers = { 'redis-tcp': betterOf(before.rps, after.rps) };
//   const rows = withRatios([{ name: 'NextId', rps: 60000, peer: 'redis-tcp' }], peers);
//   console.log(renderMachine(machine()));
//   console.log(renderTable(COLUMNS, rows));
//
// A row names its peer by key, exactly; a row without `peer` has no ratio.
// A peer figure that is zero, missing or not a number gives a ratio of null
// (printed "n/a"), never a crash and never Infinity.
import { writeFileSync } from 'node:fs';
import os from 'node:os';

// The machine the figures were taken on.
export function machine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    kernel: `${os.type()} ${os.release()}`,
    load: os.loadavg().map((l) => l.toFixed(2)).join(' '),
    memory_gib: Number((os.totalmem() / 2 ** 30).toFixed(1)),
  };
}

// The header lines, db_bench style; `extra` adds [label, value] pairs.
export function renderMachine(m, extra = []) {
  const lines = [
    ['Date', m.date],
    ['CPU', `${m.cores} * ${m.cpu}`],
    ['Kernel', m.kernel],
    ['Load average', m.load],
    ['Memory', `${m.memory_gib} GiB`],
    ...extra,
  ];
  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
}

const usable = (x) => typeof x === 'number' && Number.isFinite(x);

// value / peer, or null when either is not a usable number or the peer is
// not above zero.
export function ratio(value, peer) {
  if (!usable(value) || !usable(peer) || peer <= 0) return null;
  return value / peer;
}

// The better (larger) of the peer's runs: the harder bar. Runs that are not
// numbers are ignored; 0 when none is.
export function betterOf(...figures) {
  const good = figures.filter(usable);
  return good.length ? Math.max(...good) : 0;
}

// Copies of `rows`, each with `ratio` = row[field] / peers[row.peer]. A row
// without `peer` gets ratio null. A `peer` that is not a key of `peers`
// throws: a misspelt peer is a bug in the benchmark, not a figure.
export function withRatios(rows, peers, { field = 'rps' } = {}) {
  return rows.map((row) => {
    if (row.peer === undefined) return { ...row, ratio: null };
    if (!Object.hasOwn(peers, row.peer)) {
      const known = Object.keys(peers).join(', ');
      throw new Error(`row "${row.name}" names peer "${row.peer}", which is not one of: ${known}`);
    }
    return { ...row, ratio: ratio(row[field], peers[row.peer]) };
  });
}

// "MET" or "MISSED" for a target line.
export const verdict = (ok) => (ok ? 'MET' : 'MISSED');

// A cell: numbers with `digits` decimals and thousands kept plain; null,
// undefined and NaN as "-" (or "n/a" for ratios).
export function formatCell(value, { digits = 0, missing = '-' } = {}) {
  if (value === null || value === undefined) return missing;
  if (typeof value === 'number') return Number.isFinite(value) ? value.toFixed(digits) : missing;
  return String(value);
}

// The ratio column every table uses.
export const RATIO_COLUMN = { key: 'ratio', title: 'ratio', digits: 2, missing: 'n/a' };

// The table as text: columns are { key, title, digits, missing, left }; the
// first column is left-aligned unless it says otherwise, the others right.
export function renderTable(columns, rows) {
  const cells = rows.map((row) =>
    columns.map((c) => (c.format ? c.format(row[c.key], row) : formatCell(row[c.key], c))),
  );
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
  const left = (c, i) => c.left ?? i === 0;
  const line = (values) =>
    values
      .map((v, i) => (left(columns[i], i) ? v.padEnd(widths[i]) : v.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n');
}

// Writes the JSON report (with the machine) when `file` is set.
export function writeReport(file, report) {
  if (file) writeFileSync(file, `${JSON.stringify(report, null, 1)}\n`);
}
