// Copyright idgen authors.
//
// Who may use the `idgen up` dashboard: the printed login URL gives a
// session cookie (HttpOnly, SameSite=Strict, not the token); without it the
// API answers 401 and the page is a login form; a foreign Host or Origin gets
// 403 even with the cookie (DNS rebinding, cross-site posts); a fixed token
// and extra host names come from flags. One embedded run, no gateway.
// Run: IDGEN_BIN=/path/to/idgen node --test up_access.test.mjs
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';

import { freePort, runIdgen, tempDir } from './lib/harness.mjs';
import { dashGet, logIn, post, resources, startUp } from './lib/up_harness.mjs';

const TOKEN = 'fixed-token-for-the-test-0123456789';

// A raw request (node:http lets a test set Host and Origin): { status, headers, body }.
function raw(port, method, urlPath, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test('dashboard access: login URL, cookie, 401 without it, 403 for a foreign Host or Origin', async (t) => {
  const dir = tempDir(undefined, 'idgen-up-access-');
  const appFile = path.join(dir, 'app.json');
  writeFileSync(appFile, JSON.stringify({ gateway: { enabled: false } }));
  const port = await freePort();
  const up = await startUp(t, ['--embedded', '--insecure', '--nodes', '1', '--app', appFile, '--state-dir', dir,
    '--dashboard-listen', `127.0.0.1:${port}`, '--dashboard-host', 'idgen.test'], { env: { IDGEN_DASHBOARD_TOKEN: TOKEN }, dir });
  const host = `127.0.0.1:${port}`;

  // The printed URL carries the fixed token; the token appears nowhere else.
  assert.equal(up.loginUrl, `http://${host}/login?t=${TOKEN}`);
  assert.equal(up.stdout.split(TOKEN).length - 1, 1, 'the token is printed once');
  assert.ok(!up.stderr.includes(TOKEN), 'the token is not in the log');

  // The login set a session cookie that is not the token.
  const login = await raw(port, 'GET', `/login?t=${TOKEN}`, { host });
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/');
  const setCookie = login.headers['set-cookie'][0];
  assert.match(setCookie, new RegExp(`^idgen_dashboard_${port}=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict$`));
  assert.ok(!setCookie.includes(TOKEN));
  const cookie = setCookie.split(';')[0];

  // Without the cookie: the API is 401 problem+json, stop is refused, the page is the login form.
  const stop = await raw(port, 'POST', '/api/resources/node-0/stop', { host });
  assert.equal(stop.status, 401);
  assert.equal(stop.headers['content-type'], 'application/problem+json');
  assert.equal((await raw(port, 'GET', '/api/resources', { host })).status, 401);
  const page = await raw(port, 'GET', '/', { host });
  assert.equal(page.status, 200);
  assert.match(page.body, /<form id="login" method="post" action="\/login">/);
  assert.ok(!page.body.includes('node-0') && !page.body.includes('/api/'), 'no data or API use on the login page');
  assert.equal((await raw(port, 'GET', '/login?t=wrong-token-wrong-token', { host })).status, 401);
  assert.equal((await raw(port, 'GET', '/api/resources', { host, cookie: `idgen_dashboard_${port}=${'0'.repeat(64)}` })).status, 401);

  // The login form posts the token.
  const form = await new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/login', agent: false, timeout: 5000,
      headers: { host, origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded' } },
    (res) => { res.resume(); res.on('end', () => resolve(res)); });
    req.on('error', reject);
    req.end(`t=${encodeURIComponent(TOKEN)}`);
  });
  assert.equal(form.statusCode, 303);
  assert.match(form.headers['set-cookie'][0], new RegExp(`^idgen_dashboard_${port}=[0-9a-f]{64};`));

  // With the cookie but a foreign Origin or Host: 403, and nothing stops.
  const evilOrigin = await raw(port, 'POST', '/api/resources/node-0/stop', { host, cookie, origin: 'http://evil.example' });
  assert.equal(evilOrigin.status, 403);
  assert.match(JSON.parse(evilOrigin.body).detail, /Origin "http:\/\/evil.example"/);
  const evilHost = await raw(port, 'GET', '/api/resources', { host: `evil.example:${port}`, cookie });
  assert.equal(evilHost.status, 403);
  assert.equal((await raw(port, 'GET', '/api/resources', { host: '127.0.0.1:1', cookie })).status, 403, 'another port');
  assert.equal((await raw(port, 'POST', '/v1/traces', { host, origin: 'http://evil.example' })).status, 403, 'OTLP too');
  assert.equal((await resources(port))['node-0'].state, 'healthy');

  // With the cookie and a right Host (a --dashboard-host name too), and a same-origin Origin: served.
  assert.equal((await raw(port, 'GET', '/api/resources', { host: `idgen.test:${port}`, cookie })).status, 200);
  assert.equal((await raw(port, 'GET', '/api/resources', { host: `localhost:${port}`, cookie, origin: `http://localhost:${port}` })).status, 200);
  const full = await dashGet(port, '/');
  assert.match(full.body, /<title>idgen up/);
  const stopped = await post(port, '/api/resources/node-0/stop', { origin: `http://${host}` });
  assert.equal(stopped.status, 202);
  assert.equal((await post(port, '/api/resources/node-0/start')).status, 202);
  // A second login gives a second, different session; the first stays valid.
  const second = await logIn(up.loginUrl);
  assert.notEqual(second, cookie);
  assert.equal((await raw(port, 'GET', '/api/resources', { host, cookie })).status, 200);
});

test('--dashboard-open: no login and no Host check, with a warning', async (t) => {
  const dir = tempDir(undefined, 'idgen-up-open-');
  const appFile = path.join(dir, 'app.json');
  writeFileSync(appFile, JSON.stringify({ gateway: { enabled: false } }));
  const port = await freePort();
  const up = await startUp(t, ['--embedded', '--insecure', '--nodes', '1', '--app', appFile, '--state-dir', dir,
    '--dashboard-listen', `127.0.0.1:${port}`, '--dashboard-open'], { dir });
  assert.equal(up.loginUrl, undefined, 'no login URL is printed');
  assert.match(up.stdout, /Dashboard +http:\/\/127\.0\.0\.1:\d+ +\(OPEN/);
  assert.match(up.stderr, /warning: --dashboard-open/);
  assert.equal((await raw(port, 'GET', '/api/resources', { host: 'evil.example', origin: 'http://evil.example' })).status, 200);
});

test('dashboard access flags: a bad token or host exits 2 naming the flag', async () => {
  const short = await runIdgen(['up', '--embedded', '--dashboard-token', 'short']);
  assert.equal(short.code, 2);
  assert.match(short.stderr, /--dashboard-token/);
  const badHost = await runIdgen(['up', '--embedded', '--dashboard-host', 'evil.example:80']);
  assert.equal(badHost.code, 2);
  assert.match(badHost.stderr, /--dashboard-host/);
});
