// Copyright idgen authors.
//
// Helpers for black-box tests of `idgen gateway`: start ID nodes and a
// gateway in front of them on free loopback ports, make HTTP requests (one
// connection each, or over a keep-alive agent), check problem+json bodies.
// Every process is stopped by pid after the test (t.after) and, as a last
// resort, on process exit; every wait is bounded.
import assert from 'node:assert/strict';
import http from 'node:http';

import { freePort, httpGet, runProcess, sleep, spawnIdgen, startNode, tempDir, withTimeout } from './harness.mjs';

// Starts `count` nodes sharing one state dir (so each claims its own worker
// id: their IDs can never collide) with worker ids 1..count.
export async function startNodes(t, count, opts = {}) {
  const stateDir = tempDir(t, 'idgen-gw-state-');
  const nodes = [];
  for (let i = 0; i < count; i++) {
    nodes.push(await startNode(t, { stateDir, workerId: i + 1, ...opts }));
  }
  return nodes;
}

// Runs `idgen gateway ARGS` and returns { code, stderr } (killed after timeoutMs).
export async function runGateway(args, { env = {}, timeoutMs = 10000 } = {}) {
  const { child, out, exited } = spawnIdgen(['gateway', ...args], { env });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await exited;
  clearTimeout(timer);
  return { code, signal, stderr: out.stderr };
}

// Starts a gateway in front of `backends` (addresses) and waits for /alive
// (over HTTPS with `tls`: { ca, cert, key } as for harness httpGet).
// `prefix` and `bin` as for startNode. Stopped after the test `t`
// (without `t`, by the caller, or on exit as a last resort).
// Returns { port, pid, base, stderr, exited, stop() }.
export async function startGateway(t, { backends, args = [], env = {}, prefix, bin, tls } = {}) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const { child, out, exited: spawned } = spawnIdgen(
      ['gateway', '--listen', `127.0.0.1:${port}`, '--backends', backends.join(','), ...args],
      { env, prefix, bin },
    );
    let exit;
    const exited = spawned.then((e) => (exit = e));
    const gw = {
      port,
      pid: child.pid,
      base: `http://127.0.0.1:${port}`,
      exited,
      get stderr() {
        return out.stderr;
      },
      stop: async () => {
        if (exit) return exit;
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          // gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }, 5000);
        const e = await withTimeout(exited, 10000, `exit of gateway ${child.pid}`);
        clearTimeout(timer);
        return e;
      },
    };
    if (t) t.after(() => gw.stop());
    for (let i = 0; i < 100 && !exit; i++) {
      try {
        const res = tls
          ? await httpGet(port, '/alive', 1000, tls)
          : await request(port, 'GET', '/alive', { timeoutMs: 1000 });
        if (res.status === 200) return gw;
      } catch {
        // not yet listening
      }
      await sleep(50);
    }
    if (exit && /bind|in use/i.test(out.stderr) && attempt < 2) continue;
    await gw.stop();
    throw new Error(`gateway did not come up (exit ${JSON.stringify(exit)}); stderr:\n${out.stderr}`);
  }
  throw new Error('gateway: no free port after 3 attempts');
}

// One HTTP request. Resolves { status, headers, body, json }; json is the
// parsed body when it is JSON. `agent`: a keep-alive agent, else a fresh
// connection. `raw`: a string sent as is instead of a formed request.
export function request(port, method, path, { body, headers = {}, agent, timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined && h['content-type'] === undefined) h['content-type'] = 'application/json';
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers: h, agent: agent ?? false, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, body: text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

// Asserts an RFC 9457 problem answer with `status` (and `slug`, if given).
export function assertProblem(res, status, slug, detailPattern) {
  const where = `${res.status} ${res.body}`;
  assert.equal(res.status, status, where);
  assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/, where);
  assert.ok(res.json, `problem body is not JSON: ${res.body}`);
  assert.equal(res.json.status, status, where);
  assert.equal(typeof res.json.title, 'string', where);
  assert.ok(res.json.title.length > 0, where);
  assert.equal(typeof res.json.detail, 'string', where);
  assert.ok(res.json.detail.length > 0, where);
  assert.match(res.json.type, /^urn:idgen:problem:[a-z0-9-]+$/, where);
  if (slug) assert.equal(res.json.type, `urn:idgen:problem:${slug}`, where);
  if (detailPattern) assert.match(res.json.detail, detailPattern, where);
}

// curl, the independent HTTP client, against `url`: { status, headers
// (lower-case names), body, json (undefined when the body is not JSON) }.
// `key` is sent as `Authorization: Bearer KEY`; `header` is one more header.
export async function curlRequest(url, { key, header, method = 'GET', body } = {}) {
  const args = ['-s', '-i', '--max-time', '5', '-X', method];
  if (key !== undefined) args.push('-H', `Authorization: Bearer ${key}`);
  if (header) args.push('-H', header);
  if (body) args.push('-H', 'Content-Type: application/json', '--data', JSON.stringify(body));
  args.push(url);
  const r = await runProcess('curl', args);
  assert.equal(r.code, 0, `curl ${url}: ${r.stderr}`);
  const [head, ...rest] = r.stdout.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  const text = rest.join('\r\n\r\n');
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: Number(lines[0].split(' ')[1]), headers, body: text, json };
}
