// Copyright idgen authors.
//
// Black-box tests of `idgen gateway` in front of a real `idgen serve`: every
// endpoint's happy path, every bad input with its exact status and
// problem+json body (the gateway keeps serving after each), and bad flags.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import test from 'node:test';

import { assertStrictlyIncreasing, toBig } from './lib/harness.mjs';
import {
  assertProblem,
  request,
  runGateway,
  startGateway,
  startNodes,
} from './lib/gateway_harness.mjs';
import { sampleValue } from './lib/prometheus.mjs';

async function setup(t, args = []) {
  const [node] = await startNodes(t, 1);
  const gw = await startGateway(t, { backends: [node.address], args });
  return { node, gw };
}

async function assertStillServing(gw) {
  const res = await request(gw.port, 'GET', '/v1/ids?count=1');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.json.ids.length, 1);
}

// Sends `raw` bytes on a fresh connection and returns the response text.
function rawExchange(port, raw, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('raw exchange timed out'));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (c) => (text += c));
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    sock.on('error', () => {
      clearTimeout(timer);
      resolve(text);
    });
    sock.write(raw);
  });
}

function parseRaw(text) {
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end).split('\r\n');
  const status = Number(head[0].split(' ')[1]);
  const headers = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const body = text.slice(end + 4);
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status, headers, body, json };
}

test('GET and POST /v1/ids: IDs as strings in every format, strictly increasing', async (t) => {
  const { gw } = await setup(t);
  const res = await request(gw.port, 'GET', '/v1/ids?namespace=default&count=5');
  assert.equal(res.status, 200, res.body);
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.equal(res.json.namespace, 'default');
  assert.equal(res.json.scheme, 'snowflake');
  assert.equal(res.json.format, 'decimal');
  assert.equal(res.json.ids.length, 5);
  for (const id of res.json.ids) assert.match(id, /^[0-9]+$/);
  assertStrictlyIncreasing(toBig(res.json.ids));

  const dflt = await request(gw.port, 'GET', '/v1/ids');
  assert.equal(dflt.status, 200);
  assert.equal(dflt.json.ids.length, 1, 'count defaults to 1');
  assert.ok(BigInt(dflt.json.ids[0]) > BigInt(res.json.ids[4]));

  const patterns = { hex: /^[0-9a-f]+$/, base62: /^[0-9A-Za-z]+$/, base32: /^[0-9A-HJKMNP-TV-Z]+$/ };
  for (const [format, pattern] of Object.entries(patterns)) {
    const r = await request(gw.port, 'GET', `/v1/ids?count=3&format=${format}`);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.json.format, format);
    for (const id of r.json.ids) assert.match(id, pattern);
  }
  const hex = await request(gw.port, 'GET', '/v1/ids?count=2&format=hex');
  assertStrictlyIncreasing(hex.json.ids.map((s) => BigInt(`0x${s}`)));

  const post = await request(gw.port, 'POST', '/v1/ids', {
    body: { namespace: 'default', count: 3, format: 'hex' },
  });
  assert.equal(post.status, 200, post.body);
  assert.equal(post.json.ids.length, 3);
  assert.equal(post.json.format, 'hex');
  const empty = await request(gw.port, 'POST', '/v1/ids', { body: {} });
  assert.equal(empty.status, 200, empty.body);
  assert.equal(empty.json.ids.length, 1);

  const max = await request(gw.port, 'GET', '/v1/ids?count=10000');
  assert.equal(max.status, 200);
  assert.equal(max.json.ids.length, 10000);
  assert.equal(new Set(max.json.ids).size, 10000);
});

test('128-bit namespaces: UUID text for uuidv7, Crockford base32 for ulid; decode both', async (t) => {
  const { gw } = await setup(t);
  const uuids = await request(gw.port, 'GET', '/v1/ids?namespace=uuidv7&count=3&format=hex');
  assert.equal(uuids.status, 200, uuids.body);
  assert.equal(uuids.json.scheme, 'uuidv7');
  assert.equal(uuids.json.format, 'uuid');
  for (const id of uuids.json.ids) {
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  const ulids = await request(gw.port, 'POST', '/v1/ids', { body: { namespace: 'ulid', count: 3 } });
  assert.equal(ulids.status, 200, ulids.body);
  assert.equal(ulids.json.format, 'ulid');
  for (const id of ulids.json.ids) assert.match(id, /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
  const sorted = [...ulids.json.ids].sort();
  assert.deepEqual(ulids.json.ids, sorted);

  const now = Date.now();
  for (const [ns, id] of [
    ['uuidv7', uuids.json.ids[0]],
    ['ulid', ulids.json.ids[0]],
  ]) {
    const d = await request(gw.port, 'GET', `/v1/ids/${id}/decode?namespace=${ns}`);
    assert.equal(d.status, 200, d.body);
    assert.ok(Math.abs(d.json.timestamp_ms - now) < 60000, d.body);
    assert.equal(new Date(d.json.timestamp).getTime(), d.json.timestamp_ms);
  }
});

test('GET /v1/ids/{id}/decode: timestamp (ms and ISO 8601), worker, sequence', async (t) => {
  const { gw } = await setup(t);
  const ids = await request(gw.port, 'GET', '/v1/ids?count=2');
  const id = ids.json.ids[1];
  const before = Date.now();
  const d = await request(gw.port, 'GET', `/v1/ids/${id}/decode?namespace=default`);
  assert.equal(d.status, 200, d.body);
  assert.equal(d.json.namespace, 'default');
  assert.equal(d.json.id, id);
  assert.equal(d.json.worker, 1, 'node started with --worker-id 1');
  assert.equal(typeof d.json.sequence, 'number');
  assert.ok(Math.abs(d.json.timestamp_ms - before) < 60000);
  assert.match(d.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(new Date(d.json.timestamp).getTime(), d.json.timestamp_ms);
  const hex = BigInt(id).toString(16);
  const dh = await request(gw.port, 'GET', `/v1/ids/${hex}/decode?format=hex`);
  assert.equal(dh.status, 200, dh.body);
  assert.equal(dh.json.timestamp_ms, d.json.timestamp_ms);
  assert.equal(dh.json.sequence, d.json.sequence);
});

test('/v1/info, /health, /alive, /openapi.json', async (t) => {
  const { node, gw } = await setup(t);
  const info = await request(gw.port, 'GET', '/v1/info');
  assert.equal(info.status, 200, info.body);
  assert.equal(info.json.backends.length, 1);
  const b = info.json.backends[0];
  assert.equal(b.index, 0);
  assert.equal(b.ok, true);
  assert.equal(b.info.worker_id, '1');
  assert.equal(b.info.serving, true);
  assert.ok(b.info.namespaces.some((ns) => ns.name === 'default'));

  const health = await request(gw.port, 'GET', '/health');
  assert.equal(health.status, 200, health.body);
  assert.equal(health.json.status, 'serving');
  assert.deepEqual(health.json.backends, [{ backend: node.address, status: 'SERVING' }]);

  const alive = await request(gw.port, 'GET', '/alive');
  assert.equal(alive.status, 200);
  assert.deepEqual(alive.json, { status: 'alive' });

  const doc = await request(gw.port, 'GET', '/openapi.json');
  assert.equal(doc.status, 200);
  assert.equal(doc.json.openapi, '3.1.0');
  assert.ok(doc.json.paths['/v1/ids'].get);

  const head = await request(gw.port, 'HEAD', '/alive');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('bad parameters: 400 problem+json naming the parameter; gateway keeps serving', async (t) => {
  const { gw } = await setup(t);
  const cases = [
    ['GET', '/v1/ids?count=0', 'invalid-parameter', /count/],
    ['GET', '/v1/ids?count=-1', 'invalid-parameter', /count/],
    ['GET', '/v1/ids?count=abc', 'invalid-parameter', /count/],
    ['GET', '/v1/ids?count=1.5', 'invalid-parameter', /count/],
    ['GET', '/v1/ids?count=', 'invalid-parameter', /count/],
    ['GET', '/v1/ids?format=octal', 'invalid-parameter', /format/],
    ['GET', '/v1/ids?namespace=Bad!', 'invalid-parameter', /namespace/],
    ['GET', '/v1/ids?cnt=2', 'invalid-parameter', /unknown query parameter "cnt"/],
    ['GET', '/v1/ids?count=1&count=2', 'invalid-parameter', /more than once/],
    ['GET', '/v1/ids/12x/decode', 'invalid-parameter', /12x/],
    ['GET', '/v1/ids/18446744073709551616/decode', 'invalid-parameter', /overflows/],
    ['GET', '/v1/ids/1/decode?format=nope', 'invalid-parameter', /format/],
    ['GET', '/v1/ids?count=%zz', 'malformed-request', /percent/],
    ['GET', '/v1/ids/%zz/decode', 'malformed-request', /percent/],
  ];
  for (const [method, path, slug, detail] of cases) {
    const res = await request(gw.port, method, path);
    assertProblem(res, 400, slug, detail);
    await assertStillServing(gw);
  }
  const bodies = [
    ['not json', /JSON object/],
    ['[1,2]', /JSON object/],
    ['{"count":"2"}', /integer/],
    ['{"count":0}', /count/],
    ['{"namespace":5}', /string/],
    ['{"format":"octal"}', /format/],
    ['{"extra":true}', /unknown field "extra"/],
  ];
  for (const [body, detail] of bodies) {
    const res = await request(gw.port, 'POST', '/v1/ids', { body });
    assertProblem(res, 400, 'invalid-parameter', detail);
    await assertStillServing(gw);
  }
  const q = await request(gw.port, 'POST', '/v1/ids?count=2', { body: {} });
  assertProblem(q, 400, 'invalid-parameter', /JSON body/);
});

test('unknown namespace is 400 from the backend (INVALID_ARGUMENT), with grpc_status', async (t) => {
  const { gw } = await setup(t);
  for (const path of ['/v1/ids?namespace=nope', '/v1/ids/1/decode?namespace=nope']) {
    const res = await request(gw.port, 'GET', path);
    assertProblem(res, 400, 'backend-rejected', /unknown namespace "nope"/);
    assert.equal(res.json.grpc_status, 'INVALID_ARGUMENT');
  }
  // A snowflake ID to a 128-bit namespace is rejected by the node, also 400.
  const wrong = await request(gw.port, 'GET', '/v1/ids/123/decode?namespace=uuidv7');
  assertProblem(wrong, 400, 'backend-rejected');
  await assertStillServing(gw);
});

test('limits: count above --max-count and above the node max_batch are 429', async (t) => {
  const { gw } = await setup(t, ['--max-count', '20000']);
  const over = await request(gw.port, 'GET', '/v1/ids?count=20001');
  assertProblem(over, 429, 'batch-limit', /20000/);
  const huge = await request(gw.port, 'GET', '/v1/ids?count=99999999999999999999999');
  assertProblem(huge, 429, 'batch-limit');
  const body = await request(gw.port, 'POST', '/v1/ids', { body: { count: 20001 } });
  assertProblem(body, 429, 'batch-limit');
  // 10001 passes the gateway's limit but not the node's max_batch (10000).
  const node = await request(gw.port, 'GET', '/v1/ids?count=10001');
  assertProblem(node, 429, 'backend-limit', /max_batch/);
  assert.equal(node.json.grpc_status, 'RESOURCE_EXHAUSTED');
  assert.equal(node.headers['retry-after'], '1');
  await assertStillServing(gw);
});

test('concurrency bound: beyond --max-in-flight requests get 429 overloaded, never hang', async (t) => {
  const { gw } = await setup(t, ['--max-in-flight', '1']);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  t.after(() => agent.destroy());
  const results = await Promise.all(
    Array.from({ length: 300 }, () =>
      request(gw.port, 'GET', '/v1/ids?count=1000', { agent, timeoutMs: 10000 }),
    ),
  );
  const statuses = new Set(results.map((r) => r.status));
  assert.ok([...statuses].every((s) => s === 200 || s === 429), [...statuses].join(','));
  const limited = results.filter((r) => r.status === 429);
  assert.ok(limited.length > 0, 'some requests must hit the bound of 1');
  assertProblem(limited[0], 429, 'overloaded', /max-in-flight/);
  assert.equal(limited[0].headers['retry-after'], '1');
  assert.ok(results.some((r) => r.status === 200));
  await assertStillServing(gw);
});

// The value of one Prometheus series on the gateway's /metrics, or undefined.
async function metric(port, name, labels = {}) {
  return sampleValue((await request(port, 'GET', '/metrics')).body, name, labels);
}

test('coalescing: concurrent requests share backend calls; every ID unique, each answer increasing', async (t) => {
  const { gw } = await setup(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  t.after(() => agent.destroy());
  const results = await Promise.all(
    Array.from({ length: 2000 }, (_, i) =>
      request(gw.port, 'GET', `/v1/ids?count=${1 + (i % 3)}`, { agent, timeoutMs: 10000 }),
    ),
  );
  assert.ok(results.every((r) => r.status === 200), 'every request answered 200');
  const all = [];
  results.forEach((r, i) => {
    assert.equal(r.json.ids.length, 1 + (i % 3));
    assertStrictlyIncreasing(toBig(r.json.ids));
    all.push(...r.json.ids);
  });
  assert.equal(new Set(all).size, all.length, 'no ID handed out twice');
  const pooled = await metric(gw.port, 'idgen_gateway_pool_requests_total', { idgen_pool_path: 'pooled' });
  const calls = await metric(gw.port, 'idgen_gateway_pool_calls_total');
  assert.ok(pooled >= 2000, `pooled requests ${pooled}`);
  assert.ok(calls < pooled, `${calls} backend calls for ${pooled} requests: some were shared`);
  console.log(`coalescing: ${pooled} requests in ${calls} backend calls`);
  await assertStillServing(gw);
});

test('--coalesce false: one backend call per request', async (t) => {
  const { gw } = await setup(t, ['--coalesce', 'false']);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  t.after(() => agent.destroy());
  const results = await Promise.all(
    Array.from({ length: 200 }, () => request(gw.port, 'GET', '/v1/ids', { agent })),
  );
  assert.ok(results.every((r) => r.status === 200));
  assert.equal(await metric(gw.port, 'idgen_gateway_pool_requests_total', { idgen_pool_path: 'bypassed' }), 200);
  assert.equal(await metric(gw.port, 'idgen_gateway_pool_calls_total'), 0);
});

test('--prefetch: IDs kept ready, answered without a call; aged ones dropped, never handed out', async (t) => {
  const { gw } = await setup(t, ['--prefetch', '500', '--prefetch-max-age-ms', '400']);
  const first = await request(gw.port, 'GET', '/v1/ids?count=2');
  assert.equal(first.status, 200);
  // The refill runs in the background after the first answer.
  let ready = 0;
  for (let i = 0; i < 50 && ready < 400; i++) {
    ready = (await metric(gw.port, 'idgen_gateway_pool_ready')) ?? 0;
    if (ready < 400) await new Promise((r) => setTimeout(r, 10));
  }
  assert.ok(ready >= 400, `${ready} IDs ready`);
  const callsBefore = await metric(gw.port, 'idgen_gateway_pool_calls_total');
  const served = [];
  for (let i = 0; i < 20; i++) {
    const r = await request(gw.port, 'GET', '/v1/ids?count=5');
    assert.equal(r.status, 200);
    assertStrictlyIncreasing(toBig(r.json.ids));
    served.push(...r.json.ids);
  }
  // 100 of 500 taken: still above half, so no call was needed.
  assert.equal(await metric(gw.port, 'idgen_gateway_pool_calls_total'), callsBefore);
  // Unused IDs older than 400 ms are dropped, not handed out.
  await new Promise((r) => setTimeout(r, 600));
  const late = await request(gw.port, 'GET', '/v1/ids?count=1');
  assert.equal(late.status, 200);
  assert.ok((await metric(gw.port, 'idgen_gateway_pool_discarded_total', { idgen_reason: 'stale' })) >= 300);
  const lateTs = (await request(gw.port, 'GET', `/v1/ids/${late.json.ids[0]}/decode`)).json.timestamp_ms;
  assert.ok(Date.now() - Number(lateTs) < 400, `the ID after the pause is fresh (${Date.now() - Number(lateTs)} ms old)`);
  const all = [...first.json.ids, ...served, ...late.json.ids];
  assert.equal(new Set(all).size, all.length, 'no ID handed out twice');
  await assertStillServing(gw);
});

test('404 and 405 (with Allow) are problem+json', async (t) => {
  const { gw } = await setup(t);
  assertProblem(await request(gw.port, 'GET', '/v2/ids'), 404, 'not-found');
  assertProblem(await request(gw.port, 'GET', '/v1/ids/'), 404, 'not-found');
  const del = await request(gw.port, 'DELETE', '/v1/ids');
  assertProblem(del, 405, 'method-not-allowed');
  assert.equal(del.headers.allow, 'GET, POST');
  const put = await request(gw.port, 'PUT', '/v1/ids/1/decode', { body: {} });
  assertProblem(put, 405, 'method-not-allowed');
  assert.equal(put.headers.allow, 'GET, HEAD');
  const postHealth = await request(gw.port, 'POST', '/health', { body: {} });
  assertProblem(postHealth, 405);
  await assertStillServing(gw);
});

test('413 body too large and 431 header too large are problem+json', async (t) => {
  const { gw } = await setup(t, ['--max-body-bytes', '1024']);
  const big = JSON.stringify({ count: 1, pad: 'x'.repeat(2000) });
  const r413 = parseRaw(
    await rawExchange(
      gw.port,
      `POST /v1/ids HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n${big}`,
    ),
  );
  assert.equal(r413.status, 413);
  assert.match(r413.headers['content-type'], /^application\/problem\+json/);
  assert.equal(r413.json.type, 'urn:idgen:problem:body-too-large');
  assert.equal(r413.json.status, 413);
  const r431 = parseRaw(
    await rawExchange(gw.port, `GET /v1/ids HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20000)}\r\n\r\n`),
  );
  assert.equal(r431.status, 431);
  assert.equal(r431.json.type, 'urn:idgen:problem:header-too-large');
  assert.match(r431.headers['content-type'], /^application\/problem\+json/);
  const r400 = parseRaw(await rawExchange(gw.port, 'NOT HTTP AT ALL\r\n\r\n'));
  assert.equal(r400.status, 400);
  assert.equal(r400.json.status, 400);
  await assertStillServing(gw);
});

test('keep-alive: one connection serves many requests', async (t) => {
  const { gw } = await setup(t);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const ports = new Set();
  for (let i = 0; i < 50; i++) {
    const res = await new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: gw.port, path: '/v1/ids', agent }, (r) => {
        ports.add(r.socket.localPort);
        r.resume();
        r.on('end', () => resolve(r.statusCode));
      });
      req.on('error', reject);
    });
    assert.equal(res, 200);
  }
  assert.equal(ports.size, 1, 'all 50 requests on one connection');
});

test('/docs without Swagger UI files is a 503 problem, and the gateway keeps serving', async (t) => {
  const [node] = await startNodes(t, 1);
  const gw = await startGateway(t, {
    backends: [node.address],
    args: ['--swagger-ui-dir', '/nonexistent/swagger'],
  });
  for (const path of ['/docs', '/docs/swagger-ui.css']) {
    assertProblem(await request(gw.port, 'GET', path), 503, 'docs-unavailable', /nonexistent/);
  }
  assert.match(gw.stderr, /\/docs will answer 503/);
  await assertStillServing(gw);
});

test('/docs serves the page and its local assets; unknown assets are 404', async (t) => {
  const { gw } = await setup(t);
  const page = await request(gw.port, 'GET', '/docs');
  assert.equal(page.status, 200, page.body);
  assert.match(page.headers['content-type'], /^text\/html/);
  assert.match(page.body, /\/docs\/swagger-ui-bundle\.js/);
  assert.doesNotMatch(page.body, /https?:\/\//, 'no CDN');
  const js = await request(gw.port, 'GET', '/docs/swagger-ui-bundle.js');
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /javascript/);
  assert.ok(js.body.length > 100000);
  assertProblem(await request(gw.port, 'GET', '/docs/..%2F..%2Fetc%2Fpasswd'), 404);
  assertProblem(await request(gw.port, 'GET', '/docs/index.html'), 404);
});

test('flags: every flag has an IDGEN_* variable; bad values exit 2 with one line', async () => {
  const bad = [
    [['--backends', ''], /backend/],
    [['--backends', 'nohost'], /"nohost"/],
    [['--backends', 'example.com:50051'], /dns:\/\/\//],
    [['--backends', '127.0.0.1:1,[::1]:2'], /mixed/],
    [['--backends', '127.0.0.1:70000'], /1\.\.65535/],
    [['--backends', '127.0.0.1:1', '--listen', 'nowhere'], /listen/],
    [['--backends', '127.0.0.1:1', '--threads', '0'], /threads/],
    [['--backends', '127.0.0.1:1', '--call-timeout-ms', 'x'], /call-timeout-ms/],
    [['--backends', '127.0.0.1:1', '--retry-attempts', '6'], /retry-attempts/],
    [['--backends', '127.0.0.1:1', '--max-in-flight', '0'], /max-in-flight/],
    [['--backends', '127.0.0.1:1', '--max-count', '0'], /max-count/],
    [['--backends', '127.0.0.1:1', '--health-check', 'maybe'], /health-check/],
    [['--backends', '127.0.0.1:1', '--coalesce', 'sometimes'], /coalesce/],
    [['--backends', '127.0.0.1:1', '--coalesce-max-ids', '0'], /coalesce-max-ids/],
    [['--backends', '127.0.0.1:1', '--prefetch', '-1'], /prefetch/],
    [['--backends', '127.0.0.1:1', '--prefetch', '2000000'], /prefetch/],
    [['--backends', '127.0.0.1:1', '--prefetch-max-age-ms', '0'], /prefetch-max-age-ms/],
    [[], /backends/],
  ];
  for (const [args, pattern] of bad) {
    const r = await runGateway(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
  }
  const env = await runGateway([], { env: { IDGEN_BACKENDS: 'nohost' } });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /"nohost"/);
  const envListen = await runGateway([], {
    env: { IDGEN_BACKENDS: '127.0.0.1:1', IDGEN_GATEWAY_LISTEN: 'bad' },
  });
  assert.equal(envListen.code, 2);
  assert.match(envListen.stderr, /listen address "bad"/);
  for (const name of [
    'IDGEN_GATEWAY_THREADS',
    'IDGEN_CALL_TIMEOUT_MS',
    'IDGEN_RETRY_ATTEMPTS',
    'IDGEN_RETRY_BACKOFF_MS',
    'IDGEN_MAX_IN_FLIGHT',
    'IDGEN_MAX_COUNT',
    'IDGEN_MAX_BODY_BYTES',
    'IDGEN_IDLE_TIMEOUT_MS',
    'IDGEN_HEALTH_CHECK',
    'IDGEN_COALESCE',
    'IDGEN_COALESCE_MAX_IDS',
    'IDGEN_PREFETCH',
    'IDGEN_PREFETCH_MAX_AGE_MS',
  ]) {
    const r = await runGateway([], { env: { IDGEN_BACKENDS: '127.0.0.1:1', [name]: 'garbage' } });
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
  }
});

test('IDGEN_* variables configure a running gateway', async (t) => {
  const [node] = await startNodes(t, 1);
  const gw = await startGateway(t, { backends: [node.address], env: { IDGEN_MAX_COUNT: '5' } });
  assertProblem(await request(gw.port, 'GET', '/v1/ids?count=6'), 429, 'batch-limit');
  assert.equal((await request(gw.port, 'GET', '/v1/ids?count=5')).status, 200);
});

test('SIGTERM: the gateway stops and exits 0', async (t) => {
  const { gw } = await setup(t);
  await assertStillServing(gw);
  const exit = await gw.stop();
  assert.deepEqual(exit, { code: 0, signal: null });
});
