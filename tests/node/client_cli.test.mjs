// Copyright idgen authors.
//
// `idgen next` and `idgen info`, the CLI on the client library, against a
// real node: every --format gives IDs that `idgen decode` reads back in the
// same format (the node's worker id inside), JSON output parses, and bad
// input or an unreachable node exits with the documented code and a
// message saying what was wrong; against a fake node (grpc-js) that fails
// on purpose, the library retries UNAVAILABLE only, three attempts at most.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { grpc, idgenServiceDefinition, runIdgen, startNode, tempDir } from './lib/harness.mjs';

test('idgen next: every --format reads back through idgen decode with the node\'s worker id', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t), workerId: 5 });
  for (const format of ['decimal', 'hex', 'base62', 'base32']) {
    const r = await runIdgen(['next', '--target', node.address, '--count', '3', '--format', format]);
    assert.equal(r.code, 0, r.stderr);
    const ids = r.stdout.trim().split('\n');
    assert.equal(ids.length, 3, r.stdout);
    assert.equal(new Set(ids).size, 3, `${format}: distinct`);
    for (const id of ids) {
      const d = await runIdgen(['decode', '--format', format, '--json', id]);
      assert.equal(d.code, 0, `${format} ${id}: ${d.stderr}`);
      assert.equal(JSON.parse(d.stdout).worker, 5, `${format} ${id}: ${d.stdout}`);
    }
  }
  const json = await runIdgen(['next', '--target', node.address, '--count', '2', '--format', 'json']);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.ids.length, 2, json.stdout);
  assert.ok(BigInt(parsed.ids[0]) < BigInt(parsed.ids[1]), 'increasing');
});

test('idgen next and info: bad flags exit 2, an unreachable node exits 1, each saying why', async (t) => {
  const cases = [
    [['next', '--target', '127.0.0.1:1', '--format', 'octal'], 2, /--format must be decimal, hex, base62, base32 or json, not "octal"/],
    [['next', '--target', '127.0.0.1:1', '--count', '0'], 2, /--count/],
    [['next'], 2, /--target is required/],
    [['next', '--target', '127.0.0.1:1', '--timeout', '0.5'], 1, /idgen next: UNAVAILABLE/],
    [['info', '--target', '127.0.0.1:1', '--timeout', '0.5'], 1, /idgen info: UNAVAILABLE/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runIdgen(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  // The node is fine afterwards, and info shows it.
  const node = await startNode(t, { stateDir: tempDir(t), workerId: 9 });
  const info = await runIdgen(['info', '--target', node.address, '--json']);
  assert.equal(info.code, 0, info.stderr);
  assert.equal(JSON.parse(info.stdout).worker_id, 9);
});

// A fake node (grpc-js) whose NextIds/NextId answer from `codes` in turn
// (0: OK with IDs), counting calls.
async function fakeNode(t, codes) {
  const server = new grpc.Server();
  const seen = { calls: 0 };
  const answer = (call, cb) => {
    const code = codes[Math.min(seen.calls, codes.length - 1)];
    seen.calls++;
    if (code !== 0) return cb({ code, details: `fake: code ${code}` });
    const count = call.request.count || 1;
    return cb(null, { namespace: 'default', ids: Array.from({ length: count }, (_, i) => String(1000 + i)), id: '1000', scheme: 'snowflake' });
  };
  server.addService(idgenServiceDefinition(), {
    NextIds: answer,
    NextId: answer,
    StreamIds: (call) => call.end(),
    Decode: (call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
    GetInfo: (call, cb) => cb({ code: grpc.status.UNIMPLEMENTED }),
  });
  const port = await new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  server.start();
  t.after(() => server.forceShutdown());
  return { target: `127.0.0.1:${port}`, seen };
}

test('the client library retries UNAVAILABLE only, at most 3 attempts per call (idgen next)', async (t) => {
  const U = grpc.status.UNAVAILABLE;
  const cases = [
    // codes in turn, exit code, calls the node saw
    [[U, U, 0], 0, 3],
    [[U, U, U, 0], 1, 3],
    [[grpc.status.RESOURCE_EXHAUSTED, 0], 1, 1],
    [[grpc.status.INTERNAL, 0], 1, 1],
    [[grpc.status.DEADLINE_EXCEEDED, 0], 1, 1],
  ];
  for (const [codes, exit, calls] of cases) {
    const fake = await fakeNode(t, codes);
    const r = await runIdgen(['next', '--target', fake.target, '--count', '2', '--timeout', '10']);
    assert.equal(r.code, exit, `${codes}: ${r.stderr}`);
    assert.equal(fake.seen.calls, calls, `${codes}: calls`);
    if (exit === 0) assert.deepEqual(r.stdout.trim().split('\n'), ['1000', '1001']);
  }
});
