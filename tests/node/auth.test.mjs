// Copyright idgen authors.
//
// API keys, scopes, namespaces and quotas, black-box: one node and one
// gateway share a key file made with `idgen keys new`; curl calls the
// gateway's REST API, grpc-js the node. Checked: the exact status and
// challenge for no key, a wrong key, a missing scope and a foreign
// namespace; 200/OK for a valid key; burst+1 rapid calls -> exactly burst
// admitted, Retry-After then lets the next one through, the RateLimit
// headers parse as structured fields, a second key is unaffected; the
// counters on /metrics match; the key file is reloaded on SIGHUP; no key
// byte reaches a log; a listener beyond loopback without authentication
// exits 2.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
  assertGrpcError,
  grpc,
  grpcClients,
  runIdgen,
  runProcess,
  sleep,
  startNode,
  streamIds,
  tempDir,
  unary,
} from './lib/harness.mjs';
import { assertProblem, curlRequest, startGateway } from './lib/gateway_harness.mjs';

const ctx = {};
const cleanups = [];
// node:test's `t` for the shared processes: its after() runs at the end.
const shared = { after: (fn) => cleanups.push(fn) };

async function newKey(args) {
  const r = await runIdgen(['keys', 'new', ...args]);
  assert.equal(r.code, 0, r.stderr);
  const [key, ...rest] = r.stdout.split('\n');
  return { key, entry: JSON.parse(rest.join('\n')) };
}

function writeKeys(file, entries) {
  writeFileSync(`${file}.tmp`, JSON.stringify({ keys: entries }, null, 2));
  // rename: the watcher never sees half a file
  return runProcess('mv', [`${file}.tmp`, file]);
}

before(async () => {
  const dir = tempDir(shared, 'idgen-auth-');
  ctx.dir = dir;
  ctx.keys = {
    orders: await newKey(['--name', 'orders', '--scopes', 'ids:generate,ids:decode,info', '--namespaces', 'default']),
    reader: await newKey(['--name', 'reader', '--scopes', 'info']),
    limited: await newKey(['--name', 'limited', '--scopes', 'ids:generate', '--ids-per-second', '1', '--burst', '5']),
    second: await newKey(['--name', 'second', '--scopes', 'ids:generate', '--ids-per-second', '1', '--burst', '5']),
    gateway: await newKey(['--name', 'gateway', '--scopes', 'ids:generate,ids:decode,info']),
  };
  ctx.keyFile = path.join(dir, 'keys.json');
  await writeKeys(ctx.keyFile, Object.values(ctx.keys).map((k) => k.entry));
  const gwKeyFile = path.join(dir, 'gateway.key');
  writeFileSync(gwKeyFile, `${ctx.keys.gateway.key}\n`);
  ctx.node = await startNode(shared, { stateDir: path.join(dir, 'state'), workerId: 1, args: ['--auth-keys', ctx.keyFile] });
  ctx.gw = await startGateway(shared, {
    backends: [ctx.node.address],
    args: ['--auth-keys', ctx.keyFile, '--backend-api-key-file', gwKeyFile],
  });
  ctx.grpc = grpcClients(null, ctx.node.address);
});

after(async () => {
  ctx.grpc?.close();
  for (const fn of cleanups.reverse()) await fn();
});

// curl, the independent HTTP client, against the shared gateway.
const curl = (urlPath, opts) => curlRequest(`${ctx.gw.base}${urlPath}`, opts);

// An RFC 8941 list of items with integer parameters: [{ item, params }].
function parseSfList(text) {
  return text.split(/\s*,\s*/).map((member) => {
    const m = member.match(/^"([^"\\]*)"((?:;[a-z][a-z0-9_.*-]*=-?\d+)*)$/);
    assert.ok(m, `not a structured-field list member: ${member}`);
    const params = {};
    for (const p of m[2].split(';').slice(1)) {
      const [k, v] = p.split('=');
      params[k] = Number(v);
    }
    return { item: m[1], params };
  });
}

const withKey = (key) => {
  const md = new grpc.Metadata();
  if (key !== undefined) md.set('authorization', `Bearer ${key}`);
  return md;
};

function call(method, request, key) {
  return new Promise((resolve, reject) => {
    ctx.grpc.idgen[method](request, withKey(key), { deadline: new Date(Date.now() + 5000) }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

test('REST: no key, wrong key, missing scope, foreign namespace: exact status and challenge', async () => {
  const none = await curl('/v1/ids?count=1');
  assertProblem(none, 401, 'unauthenticated');
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="idgen"');

  const wrong = await curl('/v1/ids?count=1', { key: 'idg_not-a-real-key' });
  assertProblem(wrong, 401, 'unauthenticated');
  assert.match(wrong.headers['www-authenticate'], /^Bearer realm="idgen", error="invalid_token"/);

  const scope = await curl('/v1/ids?count=1', { key: ctx.keys.reader.key });
  assertProblem(scope, 403, 'insufficient-scope', /lacks the scope "ids:generate"/);
  assert.match(scope.headers['www-authenticate'], /error="insufficient_scope"/);

  const ns = await curl('/v1/ids?count=1&namespace=billing', { key: ctx.keys.orders.key });
  assertProblem(ns, 403, 'insufficient-scope', /may not use the namespace "billing"/);

  const ok = await curl('/v1/ids?count=3', { key: ctx.keys.orders.key });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.ids.length, 3);
  const posted = await curl('/v1/ids', { key: ctx.keys.orders.key, method: 'POST', body: { count: 2 } });
  assert.equal(posted.status, 200, posted.body);
  const decoded = await curl(`/v1/ids/${ok.json.ids[0]}/decode`, { key: ctx.keys.orders.key });
  assert.equal(decoded.status, 200, decoded.body);
  assert.equal((await curl('/v1/info', { key: ctx.keys.reader.key })).status, 200);
  // Open routes stay open.
  for (const p of ['/health', '/alive', '/openapi.json']) {
    assert.equal((await curl(p)).status, 200, p);
  }
});

test('REST quota: exactly burst admitted, Retry-After lets the next through, a second key unaffected', async () => {
  const results = [];
  for (let i = 0; i < 6; i++) results.push(await curl('/v1/ids?count=1', { key: ctx.keys.limited.key }));
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200, 200, 200, 429]);
  const refused = results[5];
  assertProblem(refused, 429, 'quota-exceeded', /caller "limited" is over its quota/);
  const retryAfter = refused.headers['retry-after'];
  assert.match(retryAfter, /^\d+$/);
  assert.ok(Number(retryAfter) >= 1);
  const [policy] = parseSfList(refused.headers['ratelimit-policy']);
  assert.deepEqual(policy, { item: 'caller', params: { q: 5, w: 5 } });
  const [limit] = parseSfList(refused.headers.ratelimit);
  assert.equal(limit.item, 'caller');
  assert.equal(limit.params.r, 0);
  assert.ok(limit.params.t >= 1);
  // Admitted answers carry the headers too.
  assert.equal(parseSfList(results[0].headers.ratelimit)[0].params.r, 4);

  assert.equal((await curl('/v1/ids?count=1', { key: ctx.keys.second.key })).status, 200);
  // More than the burst can never fit: refused at once, without Retry-After.
  const huge = await curl('/v1/ids?count=6', { key: ctx.keys.second.key });
  assertProblem(huge, 429, 'quota-exceeded', /more than caller "second" may take at once/);
  assert.equal(huge.headers['retry-after'], undefined);

  await sleep(Number(retryAfter) * 1000);
  assert.equal((await curl('/v1/ids?count=1', { key: ctx.keys.limited.key })).status, 200);

  const metrics = (await curl('/metrics')).body;
  const value = (name, labels) => {
    const m = metrics.match(new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\d+)`, 'm'));
    return m ? Number(m[1]) : undefined;
  };
  assert.equal(value('idgen_ids_issued_by_caller_total', 'caller="limited"'), 6, metrics);
  assert.equal(value('idgen_quota_rejections_total', 'caller="limited"'), 1);
  assert.equal(value('idgen_ids_issued_by_caller_total', 'caller="orders"'), 5);
  assert.equal(value('idgen_ids_issued_by_caller_total', 'caller="second"'), 1);
  assert.equal(value('idgen_quota_rejections_total', 'caller="second"'), 1);
  assert.equal(value('idgen_auth_failures_total', 'reason="missing"'), 1);
  assert.equal(value('idgen_auth_failures_total', 'reason="invalid"'), 1);
  assert.equal(value('idgen_auth_failures_total', 'reason="forbidden"'), 2);
});

test('gRPC: UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED with pushback; health stays open', async () => {
  await assertGrpcError(call('NextId', {}), grpc.status.UNAUTHENTICATED, /credentials required/);
  await assertGrpcError(call('NextId', {}, 'idg_wrong'), grpc.status.UNAUTHENTICATED, /not valid/);
  await assertGrpcError(call('NextId', {}, ctx.keys.reader.key), grpc.status.PERMISSION_DENIED, /lacks the scope "ids:generate"/);
  await assertGrpcError(
    call('NextId', { namespace: 'billing' }, ctx.keys.orders.key),
    grpc.status.PERMISSION_DENIED,
    /may not use the namespace "billing"/,
  );
  await assertGrpcError(call('GetInfo', {}, ctx.keys.limited.key), grpc.status.PERMISSION_DENIED, /"info"/);
  const id = await call('NextId', {}, ctx.keys.orders.key);
  assert.ok(BigInt(id.id) > 0n);
  assert.equal(typeof (await call('GetInfo', {}, ctx.keys.reader.key)).version, 'string');
  await call('Decode', { id: id.id }, ctx.keys.orders.key);

  // The node keeps its own buckets: `second` has 5 there.
  assert.equal((await call('NextIds', { count: 5 }, ctx.keys.second.key)).ids.length, 5);
  const err = await assertGrpcError(call('NextId', {}, ctx.keys.second.key), grpc.status.RESOURCE_EXHAUSTED, /over its quota/);
  const pushback = err.metadata.get('grpc-retry-pushback-ms');
  assert.equal(pushback.length, 1);
  assert.ok(Number(pushback[0]) > 0 && Number(pushback[0]) <= 1000, String(pushback[0]));

  const health = await unary(ctx.grpc.health, 'Check', { service: '' });
  assert.equal(health.status, 'SERVING');
});

test('gRPC StreamIds: the caller is checked at open, the quota per message', async () => {
  const noKey = ctx.grpc.idgen.StreamIds(withKey(undefined), { deadline: new Date(Date.now() + 5000) });
  const status = await new Promise((resolve) => {
    noKey.on('error', (e) => resolve(e.code));
    noKey.on('data', () => {});
    noKey.write({ count: 1 });
  });
  assert.equal(status, grpc.status.UNAUTHENTICATED);

  const stream = ctx.grpc.idgen.StreamIds(withKey(ctx.keys.limited.key), { deadline: new Date(Date.now() + 5000) });
  const answers = [];
  await new Promise((resolve, reject) => {
    stream.on('data', (r) => {
      answers.push(r);
      if (answers.length === 6) stream.end();
    });
    stream.on('error', reject);
    stream.on('end', resolve);
    for (let i = 0; i < 6; i++) stream.write({ count: 1 });
  });
  assert.deepEqual(answers.map((a) => a.error_code ?? 0), [0, 0, 0, 0, 0, grpc.status.RESOURCE_EXHAUSTED]);
  assert.match(answers[5].error_message, /caller "limited" is over its quota/);
});

test('node metrics count the gateway as the caller it is; the key file reloads on SIGHUP', async () => {
  const metrics = (await runProcess('curl', ['-s', `http://127.0.0.1:${ctx.node.adminPort}/metrics`])).stdout;
  assert.match(metrics, /^idgen_ids_issued_by_caller_total\{[^}]*caller="gateway"[^}]*\} [1-9]\d*$/m);

  const late = await newKey(['--name', 'late', '--scopes', 'ids:generate']);
  assert.equal((await curl('/v1/ids?count=1', { key: late.key })).status, 401);
  await writeKeys(ctx.keyFile, [...Object.values(ctx.keys).map((k) => k.entry), late.entry]);
  process.kill(ctx.gw.pid, 'SIGHUP');
  let status;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await curl('/v1/ids?count=1', { key: late.key })).status;
    if (status !== 200) await sleep(100);
  }
  assert.equal(status, 200);
  // A broken file keeps the keys in use.
  writeFileSync(ctx.keyFile, '{"keys": [');
  process.kill(ctx.gw.pid, 'SIGHUP');
  for (let i = 0; i < 50 && !/keeping the keys in use/.test(ctx.gw.stderr); i++) await sleep(100);
  assert.match(ctx.gw.stderr, /keeping the keys in use/);
  assert.equal((await curl('/v1/ids?count=1', { key: late.key })).status, 200);
  ctx.keys.late = late;
});

test('keys new prints a key whose SHA-256 is the entry; no key byte reaches a log', async () => {
  const k = await newKey(['--name', 'x', '--scopes', 'info']);
  assert.match(k.key, /^idg_[A-Za-z0-9_-]{43}$/);
  assert.equal(k.entry.sha256, createHash('sha256').update(k.key).digest('hex'));
  const bad = await runIdgen(['keys', 'new', '--name', 'x', '--scopes', 'ids:all']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--scopes/);

  const logs = ctx.node.stderr + ctx.node.stdout + ctx.gw.stderr;
  assert.ok(logs.length > 0);
  for (const [name, k] of Object.entries(ctx.keys)) {
    assert.ok(!logs.includes(k.key), `key ${name} appears in a log`);
    assert.ok(!logs.includes(k.key.slice(4, 20)), `part of key ${name} appears in a log`);
  }
});

test('a listener beyond loopback without authentication exits 2 with the reason', async (t) => {
  const serve = await runIdgen(['serve', '--listen', '0.0.0.0:0', '--insecure', '--state-dir', tempDir(t)]);
  assert.equal(serve.code, 2, serve.stderr);
  assert.match(serve.stderr, /--listen 0\.0\.0\.0:0 is reachable from other machines and no caller would have to identify itself.*--auth-keys.*--allow-anonymous/);
  const gw = await runIdgen(['gateway', '--listen', '0.0.0.0:0', '--insecure', '--backends', '127.0.0.1:1']);
  assert.equal(gw.code, 2, gw.stderr);
  assert.match(gw.stderr, /--listen 0\.0\.0\.0:0 is reachable from other machines and no caller/);
});

test('--allow-anonymous beyond loopback starts, and warns that anyone may take IDs', async (t) => {
  const node = await startNode(t, {
    stateDir: tempDir(t), listen: '0.0.0.0:0', args: ['--insecure', '--allow-anonymous'],
  });
  assert.match(node.stderr, /--allow-anonymous: --listen 0\.0\.0\.0:\d+ serves anonymous callers reachable from other machines; anyone who can connect can take IDs/);
  assert.match(node.stderr, /"level":"warn/);
});

test('--max-ids-per-second: one process-wide bucket for every caller, REST 429 and gRPC RESOURCE_EXHAUSTED', async (t) => {
  // 10 IDs/s, burst 10: a 10-ID request empties it; anonymous callers share it.
  const node = await startNode(t, { stateDir: tempDir(t), args: ['--max-ids-per-second', '10'] });
  const { idgen } = grpcClients(t, node.address);
  assert.equal((await unary(idgen, 'NextIds', { count: 10 })).ids.length, 10);
  const err = await unary(idgen, 'NextIds', { count: 5 }).then(() => null, (e) => e);
  assert.ok(err, 'the 11th..15th IDs within the second are refused');
  assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(err.details, /this process is at its limit of 10 IDs\/s \(--max-ids-per-second\)/);
  assert.ok(Number(err.metadata.get('grpc-retry-pushback-ms')[0]) > 0, 'pushback in ms');
  const tooBig = await unary(idgen, 'NextIds', { count: 11 }).then(() => null, (e) => e);
  assert.equal(tooBig?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(tooBig.details, /more than this process may issue at once/);

  // The gateway's own bucket, before its (unlimited) node's.
  const open = await startNode(t, { stateDir: tempDir(t) });
  const gw = await startGateway(t, { backends: [open.address], args: ['--max-ids-per-second', '3'] });
  const first = await runProcess('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `${gw.base}/v1/ids?count=3`]);
  assert.equal(first.stdout, '200');
  const over = await runProcess('curl', ['-s', '-i', `${gw.base}/v1/ids?count=1`]);
  assert.match(over.stdout, /^HTTP\/1\.1 429/);
  assert.match(over.stdout, /^retry-after: [1-9]\d*\r$/im);
  assert.match(over.stdout, /"type":"[^"]*quota-exceeded"/);
  assert.match(over.stdout, /--max-ids-per-second/);
});
