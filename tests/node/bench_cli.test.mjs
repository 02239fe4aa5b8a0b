// Copyright idgen authors.
//
// Black-box tests of `idgen bench`, the load generator: the real binary
// against a real `idgen serve` on free loopback ports.
//   - every mode (stream, unary, batch; 64- and 128-bit namespaces) reports
//     requests, IDs, latency quantiles in order, and checks every ID: unique,
//     increasing per caller, none lost;
//   - a paced run (--rate) never goes faster than asked;
//   - against a fake node (@grpc/grpc-js) that answers with repeated and
//     falling IDs, it reports duplicates and order violations and exits 1;
//   - bad flags and a namespace the node rejects exit 2 with a message; an
//     unreachable target exits 1.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import test from 'node:test';

import {
  freePort,
  grpc,
  idgenServiceDefinition,
  runIdgen,
  startNode,
  tempDir,
} from './lib/harness.mjs';

// Runs `idgen bench --json` with short timings; returns { code, stderr, report }.
async function bench(target, flags) {
  const r = await runIdgen(
    ['bench', '--target', target, '--duration', '1', '--warmup', '0.2', '--json', ...flags],
    { timeoutMs: 30000 },
  );
  assert.equal(r.timedOut, false, `idgen bench timed out: ${r.stderr}`);
  let report;
  if (r.stdout.trim() !== '') report = JSON.parse(r.stdout);
  return { code: r.code, stderr: r.stderr, report };
}

function assertCleanReport(rep, { count }) {
  assert.ok(rep.requests > 0, 'no requests counted');
  assert.equal(rep.ids, rep.requests * count, 'IDs counted != requests x count');
  assert.equal(rep.error_total, 0, `errors: ${JSON.stringify(rep.errors)}`);
  assert.equal(rep.duplicates, 0);
  assert.equal(rep.order_violations, 0);
  // Every ID received (warm-up included) was kept and checked, well under the limit.
  assert.ok(rep.ids_received >= rep.ids, 'fewer IDs received than counted');
  assert.equal(rep.ids_checked, rep.ids_received);
  assert.ok(rep.p50_us > 0, 'p50 is 0');
  assert.ok(
    rep.p50_us <= rep.p99_us && rep.p99_us <= rep.p999_us && rep.p999_us <= rep.max_us,
    `quantiles out of order: ${rep.p50_us} ${rep.p99_us} ${rep.p999_us} ${rep.max_us}`,
  );
  assert.ok(Math.abs(rep.rps * count - rep.ids_per_s) <= 1e-6 * rep.ids_per_s + 1);
}

test('every mode against a real node: counted, checked, unique, increasing', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const cases = [
    {
      what: 'stream, 1 ID/request, 8 streams x 4 pipelined',
      flags: ['--mode', 'stream', '--concurrency', '8', '--pipeline', '4'],
      count: 1,
    },
    { what: 'unary NextId, 4 callers', flags: ['--mode', 'unary', '--concurrency', '4'], count: 1 },
    {
      what: 'batch of 100, 2 callers, 2 connections',
      flags: ['--mode', 'batch', '--count', '100', '--concurrency', '2', '--connections', '2'],
      count: 100,
    },
    {
      what: 'stream of uuidv7, 10 per request',
      flags: ['--mode', 'stream', '--namespace', 'uuidv7', '--count', '10', '--concurrency', '4'],
      count: 10,
    },
    {
      what: 'unary ulid',
      flags: ['--mode', 'unary', '--namespace', 'ulid', '--concurrency', '2'],
      count: 1,
    },
  ];
  for (const c of cases) {
    await t.test(c.what, async () => {
      const r = await bench(node.address, c.flags);
      assert.equal(r.code, 0, r.stderr);
      assertCleanReport(r.report, c);
    });
  }
});

test('a paced run never goes faster than --rate', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const r = await bench(node.address, ['--mode', 'stream', '--concurrency', '4', '--rate', '2000']);
  assert.equal(r.code, 0, r.stderr);
  assertCleanReport(r.report, { count: 1 });
  // The pacer keeps each request's intended time, so a caller that fell
  // behind (a loaded machine, the 0.2 s warmup) catches up inside the 1 s
  // window; it can never get ahead of the schedule that began at the start:
  // 2,000/s over the 1.2 s run, plus one request per caller.
  assert.ok(r.report.requests <= 2000 * 1.2 + 4, `${r.report.requests} requests at --rate 2000 for 1 s`);
  // And it is not starved on loopback (a broken pacer sends nothing or a trickle).
  assert.ok(r.report.requests >= 1000, `only ${r.report.requests} requests at --rate 2000 for 1 s`);
  // From the intended send time is never shorter than from the actual send.
  assert.ok(r.report.p99_us >= r.report.service_p99_us);
});

// A node that breaks the contract: unary calls get the same ID again and
// again; every stream gets the same falling sequence.
async function startFakeNode(t) {
  const server = new grpc.Server();
  server.addService(idgenServiceDefinition(), {
    NextId: (call, cb) => cb(null, { namespace: 'default', id: '42', scheme: 'snowflake' }),
    NextIds: (call, cb) =>
      cb(null, {
        namespace: 'default',
        ids: Array.from({ length: call.request.count }, () => '42'),
        scheme: 'snowflake',
      }),
    StreamIds: (call) => {
      let next = 1000000n; // each stream falls through the same values
      call.on('data', (req) => {
        next -= 1n;
        const ids = Array.from({ length: req.count }, () => String(next));
        call.write({ namespace: 'default', ids, scheme: 'snowflake' });
      });
      call.on('end', () => call.end());
    },
    Decode: (call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
    GetInfo: (call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
  });
  const port = await new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  server.start();
  t.after(() => server.forceShutdown());
  return `127.0.0.1:${port}`;
}

test('a node that repeats or lowers IDs is caught: duplicates, order violations, exit 1', async (t) => {
  const target = await startFakeNode(t);
  const runs = [
    ['--mode', 'unary', '--concurrency', '2'],
    ['--mode', 'stream', '--concurrency', '2'],
  ];
  for (const flags of runs) {
    await t.test(flags.join(' '), async () => {
      const r = await bench(target, flags);
      assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /FAILED: [1-9]\d* duplicate IDs, [1-9]\d* order violations/);
      assert.ok(r.report.duplicates > 0);
      assert.ok(r.report.order_violations > 0);
    });
  }
});

test('bad flags and rejected requests exit 2 with a message; no node exits 1', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const bad = [
    [['--mode', 'sideways'], /mode/],
    [['--concurrency', '0'], /--concurrency/],
    [['--count', '0'], /--count/],
    [['--rate', '-5'], /--rate/],
    [['--pipeline', '2', '--mode', 'unary'], /--pipeline/],
    [['--connections', '9', '--concurrency', '2'], /--connections/],
    [['--namespace', 'no-such-namespace'], /no-such-namespace|namespace/],
    [['--mode', 'batch', '--count', '1000000'], /count|batch/i],
  ];
  for (const [flags, pattern] of bad) {
    await t.test(flags.join(' '), async () => {
      const r = await bench(node.address, flags);
      assert.equal(r.code, 2, `exit ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.equal(r.report, undefined, 'printed a report for a bad run');
    });
  }
  await t.test('nothing listening', async () => {
    const r = await bench(`127.0.0.1:${await freePort()}`, ['--timeout', '1']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot connect/);
  });
});
