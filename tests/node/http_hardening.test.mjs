// Copyright idgen authors.
//
// Attacks on the HTTP/1.1 layer of `idgen gateway` (and of the node's admin
// listener, which shares it), performed with raw loopback sockets against
// the real binary: request smuggling through Transfer-Encoding, missing or
// doubled Host, empty lines before a request, HEAD on an ID route, bodies
// that are not application/json or repeat a key, connection floods, and
// operator detail in the public /v1/info. Every wait is bounded.
// Run: IDGEN_BIN=/path/to/idgen node --test http_hardening.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import test from 'node:test';

import { assertProblem, request, runGateway, startGateway, startNodes } from './lib/gateway_harness.mjs';
import { freePort, httpGet, idgenBin, sleep, waitUntil } from './lib/harness.mjs';

async function setup(t, args = []) {
  const [node] = await startNodes(t, 1);
  const gw = await startGateway(t, { backends: [node.address], args });
  return { node, gw };
}

// Sends `raw` on a fresh connection and collects everything the server sends
// until it closes the connection or `timeoutMs` passes. Resolves
// { text, closed }.
function rawExchange(port, raw, timeoutMs = 4000) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.setEncoding('latin1');
    sock.on('data', (c) => (text += c));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.write(raw);
  });
}

// The responses in `text`, in order: { status, headers, body, json }.
function parseResponses(text) {
  const out = [];
  let rest = text;
  for (let i = 0; i < 10 && rest.startsWith('HTTP/1.1 '); i++) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end).split('\r\n');
    const headers = {};
    for (const line of head.slice(1)) {
      const c = line.indexOf(':');
      headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    let json;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    out.push({ status: Number(head[0].split(' ')[1]), headers, body, json });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

const HIDDEN = 'GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n';

// A POST whose body is HIDDEN, with `headers` deciding how it is framed.
function smuggle(headers) {
  return `POST /v1/ids HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${HIDDEN}`;
}

test('Transfer-Encoding other than chunked: 501/400, close, and the hidden request gets no answer', async (t) => {
  const { gw } = await setup(t);
  const len = `Content-Length: ${HIDDEN.length}\r\n`;
  const cases = [
    ['Transfer-Encoding: xchunked\r\n', 501],
    ['Transfer-Encoding: identity\r\n', 501],
    ['Transfer-Encoding: gzip, chunked\r\n', 501],
    ['Transfer-Encoding: chunked, identity\r\n', 400],
    ['Transfer-Encoding: chunked\r\n' + len, 400],
    [len + 'Transfer-Encoding: chunked\r\n', 400],
    ['Transfer-Encoding: xchunked\r\n' + len, 400],
  ];
  for (const [headers, status] of cases) {
    const { text, closed } = await rawExchange(gw.port, smuggle(headers));
    const responses = parseResponses(text);
    const where = `${JSON.stringify(headers)}: ${text}`;
    assert.equal(responses.length, 1, `exactly one response for ${where}`);
    assertProblem(responses[0], status, status === 501 ? 'not-implemented' : 'malformed-request');
    assert.equal(responses[0].headers.connection, 'close', where);
    assert.ok(closed, `connection closed for ${where}`);
    assert.ok(!text.includes('"backends"'), `the hidden GET /v1/info was not answered: ${where}`);
  }
  assert.equal((await request(gw.port, 'GET', '/v1/ids')).status, 200, 'still serving');
});

test('Host: missing (HTTP/1.1) or doubled gets 400, on the gateway and the admin listener', async (t) => {
  const { node, gw } = await setup(t);
  for (const port of [gw.port, node.adminPort]) {
    for (const raw of [
      'GET /health HTTP/1.1\r\n\r\n',
      'GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    ]) {
      const { text, closed } = await rawExchange(port, raw);
      const responses = parseResponses(text);
      assert.equal(responses.length, 1, text);
      assert.equal(responses[0].status, 400, text);
      assert.match(responses[0].body, /Host/, text);
      assert.ok(closed, text);
    }
  }
  const gwMissing = parseResponses((await rawExchange(gw.port, 'GET /alive HTTP/1.1\r\n\r\n')).text);
  assertProblem(gwMissing[0], 400, 'malformed-request', /Host/);
  const http10 = parseResponses((await rawExchange(gw.port, 'GET /alive HTTP/1.0\r\n\r\n')).text);
  assert.equal(http10[0].status, 200, 'HTTP/1.0 needs no Host');
});

test('empty lines before the request line are ignored (a few of them)', async (t) => {
  const { gw } = await setup(t);
  const one = parseResponses(
    (await rawExchange(gw.port, '\r\nGET /alive HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).text,
  );
  assert.equal(one.length, 1);
  assert.equal(one[0].status, 200);
  assert.deepEqual(one[0].json, { status: 'alive' });
  const many = parseResponses(
    (await rawExchange(gw.port, '\r\n'.repeat(20) + 'GET /alive HTTP/1.1\r\nHost: x\r\n\r\n')).text,
  );
  assertProblem(many[0], 400, 'malformed-request');
});

// The node's idgen_ids_issued_total for namespace "default".
async function issued(node) {
  const metrics = await httpGet(node.adminPort, '/metrics');
  assert.equal(metrics.status, 200);
  const m = metrics.body.match(/^idgen_ids_issued_total\{[^}]*idgen_namespace="default"[^}]*\} (\d+)/m);
  return m ? Number(m[1]) : 0;
}

test('HEAD /v1/ids is 405 with Allow and issues no IDs', async (t) => {
  const { node, gw } = await setup(t, ['--coalesce', 'false', '--prefetch', '0']);
  assert.equal((await request(gw.port, 'GET', '/v1/ids?count=3')).status, 200);
  const before = await issued(node);
  assert.ok(before >= 3, `the node counts issued IDs (${before})`);
  for (let i = 0; i < 5; i++) {
    const head = await request(gw.port, 'HEAD', '/v1/ids?count=1000');
    assert.equal(head.status, 405);
    assert.equal(head.headers.allow, 'GET, POST');
    assert.equal(head.body, '');
  }
  assert.equal(await issued(node), before, 'HEAD consumed no IDs');
  assert.equal((await request(gw.port, 'GET', '/v1/ids?count=2')).status, 200);
  assert.equal(await issued(node), before + 2, 'the count moves with real requests');
  assert.equal((await request(gw.port, 'HEAD', '/v1/info')).status, 200, 'HEAD still works elsewhere');
});

test('POST /v1/ids needs Content-Type application/json: 415 otherwise', async (t) => {
  const { gw } = await setup(t);
  const body = JSON.stringify({ count: 1 });
  for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
    const headers = type ? `Content-Type: ${type}\r\n` : '';
    const raw = `POST /v1/ids HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    const [res] = parseResponses((await rawExchange(gw.port, raw)).text);
    assertProblem(res, 415, 'unsupported-media-type', /application\/json/);
  }
  const ok = await request(gw.port, 'POST', '/v1/ids', {
    body,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.json.ids.length, 1);
});

test('a JSON body with a duplicate key is refused naming the key', async (t) => {
  const { gw } = await setup(t);
  const res = await request(gw.port, 'POST', '/v1/ids', { body: '{"count": 1, "count": 5000}' });
  assertProblem(res, 400, 'invalid-parameter', /"count" appears more than once/);
  const nested = await request(gw.port, 'POST', '/v1/ids', { body: '{"namespace": "default", "namespace": "x"}' });
  assertProblem(nested, 400, 'invalid-parameter', /"namespace"/);
});

test('/v1/info shows no backend address and no state-dir path; the admin /info keeps them', async (t) => {
  const { node, gw } = await setup(t);
  const info = await request(gw.port, 'GET', '/v1/info');
  assert.equal(info.status, 200, info.body);
  assert.equal(info.json.backends.length, 1);
  const b = info.json.backends[0];
  assert.equal(b.index, 0);
  assert.equal(b.ok, true);
  assert.equal(b.backend, undefined);
  assert.equal(b.info.serving, true);
  assert.ok(!info.body.includes(node.address), `no backend address in ${info.body}`);
  assert.ok(!info.body.includes(node.stateDir), `no state dir in ${info.body}`);
  const admin = await httpGet(node.adminPort, '/info');
  assert.ok(admin.body.includes(node.stateDir), 'the admin /info still has the lease detail');

  // A backend that does not answer: its error names no address either.
  const down = await startGateway(t, { backends: [node.address, '127.0.0.1:1'] });
  const partial = await request(down.port, 'GET', '/v1/info');
  assert.equal(partial.status, 200, partial.body);
  assert.equal(partial.json.backends[1].ok, false);
  assert.ok(!partial.body.includes('127.0.0.1:1'), partial.body);
});

// Opens a keep-alive connection, makes one request on it and leaves it idle.
// Resolves { sock, closed() } where closed() tells whether the server has
// closed it since.
function idleConnection(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let closed = false;
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('idle connection: no answer in 5 s'));
    }, 5000);
    sock.on('close', () => (closed = true));
    sock.on('error', () => (closed = true));
    sock.setEncoding('latin1');
    sock.on('data', (c) => {
      text += c;
      if (text.includes('\r\n\r\n') && text.includes('"alive"')) {
        clearTimeout(timer);
        resolve({ sock, closed: () => closed });
      }
    });
    sock.write('GET /alive HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

test('--max-connections: idle connections beyond it are closed oldest first; new clients are served', async (t) => {
  const { gw } = await setup(t, ['--max-connections', '50']);
  const conns = [];
  t.after(() => conns.forEach((c) => c.sock.destroy()));
  for (let i = 0; i < 70; i++) conns.push(await idleConnection(gw.port));
  const fresh = await request(gw.port, 'GET', '/v1/ids');
  assert.equal(fresh.status, 200, 'a new client is served');
  // 71 connections so far, at most 50 open: the 21 oldest were closed.
  await waitUntil(async () => conns.slice(0, 21).every((c) => c.closed()), {
    pollMs: 50,
    polls: 100,
    what: 'the oldest idle connections closed',
  });
  const open = conns.filter((c) => !c.closed()).length;
  assert.equal(open, 49, 'the newest idle connections stay open');
  assert.ok(conns.slice(21).every((c) => !c.closed()), 'only the oldest were closed');
  assert.match(gw.stderr, /connection limit reached/);
});

test('out of file descriptors: accept closes the longest-idle connections and keeps serving', async (t) => {
  const [node] = await startNodes(t, 1);
  const port = await freePort();
  // A hard limit of 128 descriptors and a cap far above it: accept itself
  // fails with EMFILE once the idle connections have taken the rest.
  const child = spawn(
    'sh',
    [
      '-c',
      'ulimit -n 128 && exec "$0" "$@"',
      idgenBin(),
      'gateway',
      '--listen',
      `127.0.0.1:${port}`,
      '--backends',
      node.address,
      '--max-connections',
      '100000',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const exited = new Promise((resolve) => child.on('close', resolve));
  t.after(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  await waitUntil(
    async () => {
      try {
        return (await request(port, 'GET', '/alive', { timeoutMs: 1000 })).status === 200;
      } catch {
        return false;
      }
    },
    { pollMs: 50, polls: 100, what: 'gateway under ulimit -n 128 up' },
  );
  const conns = [];
  t.after(() => conns.forEach((c) => c.sock.destroy()));
  for (let i = 0; i < 160; i++) conns.push(await idleConnection(port));
  const fresh = await request(port, 'GET', '/v1/ids');
  assert.equal(fresh.status, 200, 'a new client is served');
  await sleep(100);
  assert.ok(conns[0].closed(), 'the oldest idle connection was closed');
  const closed = conns.filter((c) => c.closed()).length;
  assert.ok(closed >= 160 - 128, `${closed} idle connections closed to make room`);
  assert.ok(!conns[159].closed(), 'the newest idle connection stays');
  assert.match(stderr, /Too many open files.*closing idle connections/);
});

test('--max-connections and IDGEN_MAX_CONNECTIONS are validated', async () => {
  for (const value of ['0', '-5', 'many', '1.5', '99999999999']) {
    const flag = await runGateway(['--backends', '127.0.0.1:1', '--max-connections', value]);
    assert.equal(flag.code, 2, `--max-connections ${value}: ${flag.stderr}`);
    assert.match(flag.stderr, /--max-connections/);
    assert.match(flag.stderr, /whole number/);
  }
  const env = await runGateway(['--backends', '127.0.0.1:1'], { env: { IDGEN_MAX_CONNECTIONS: 'lots' } });
  assert.equal(env.code, 2, env.stderr);
  assert.match(env.stderr, /max-connections/);
});
