// Copyright idgen authors.
//
// Helpers for tests of `idgen up`: start it (stopped after the test), log in
// to its dashboard through the printed login URL, read its API, press its
// buttons.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';

import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { freePort, httpGet, idgenBin, sleep, tempDir } from './harness.mjs';

export const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Starts `idgen up ARGS`; resolves once it printed its resource table.
// `env`: variables added to this process's environment. `dir`: a directory
// (made with tempDir() without a test) removed once `idgen up` has stopped; a
// tempDir(t) is removed by a hook that runs before this one's, while the
// nodes may still write into it.
export async function startUp(t, args, { timeoutMs = 90000, env = {}, dir } = {}) {
  const child = spawn(idgenBin(), ['up', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const up = { child, stdout: '', stderr: '', exit: undefined };
  child.stdout.setEncoding('utf8').on('data', (c) => (up.stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (up.stderr += c));
  up.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve((up.exit = { code, signal }))));
  t.after(async () => {
    if (!up.exit) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      await up.exited;
      clearTimeout(timer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  });
  const end = Date.now() + timeoutMs;
  while (!/Press Ctrl-C to stop/.test(up.stdout)) {
    if (up.exit || Date.now() > end) {
      throw new Error(`idgen up did not come up (exit ${JSON.stringify(up.exit)}):\n${up.stderr}\n${up.stdout}`);
    }
    await sleep(100);
  }
  const login = /Dashboard +(http:\/\/[^\s]+\/login\?t=[0-9A-Za-z._~-]+)/.exec(up.stdout);
  if (login) {
    up.loginUrl = login[1];
    up.cookie = await logIn(up.loginUrl);
    sessions.set(Number(new URL(up.loginUrl).port), up.cookie);
  }
  return up;
}

// Dashboard session cookies ("name=value") of the runs started here, by port.
const sessions = new Map();

// Visits a login URL; returns the session cookie ("name=value") it sets.
export async function logIn(loginUrl) {
  const res = await fetch(loginUrl, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 303, `login through ${new URL(loginUrl).pathname}`);
  const cookie = res.headers.get('set-cookie');
  assert.ok(cookie, 'the login sets a cookie');
  return cookie.split(';')[0];
}

// GET on a dashboard with its session: { status, body, json }.
export async function dashGet(port, urlPath) {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    headers: sessions.has(port) ? { cookie: sessions.get(port) } : {},
    signal: AbortSignal.timeout(5000),
  });
  const body = await res.text();
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, body, json };
}

export async function resources(dashPort) {
  const res = await dashGet(dashPort, '/api/resources');
  assert.equal(res.status, 200);
  return Object.fromEntries(res.json.map((r) => [r.name, r]));
}

// POST on a dashboard with its session (and `headers`, which may replace it).
export function post(port, urlPath, headers = {}) {
  return fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method: 'POST',
    headers: { ...(sessions.has(port) ? { cookie: sessions.get(port) } : {}), ...headers },
    signal: AbortSignal.timeout(5000),
  });
}


// `idgen up` with one embedded node and no gateway, for tests of its OTLP
// receiver: { up, dir, dashPort, grpcPort } (grpcPort: OTLP/gRPC, from the
// start-up lines). --insecure: these tests speak to the receivers in
// plaintext (up_tls.test.mjs covers the mutual TLS ones).
export async function startUpForOtlp(t, dirPrefix) {
  const dir = tempDir(undefined, dirPrefix);
  const appFile = path.join(dir, 'app.json');
  writeFileSync(appFile, JSON.stringify({ gateway: { enabled: false } }));
  const dashPort = await freePort();
  const up = await startUp(t, ['--embedded', '--insecure', '--nodes', '1', '--app', appFile, '--state-dir', dir,
    '--dashboard-listen', `127.0.0.1:${dashPort}`], { dir });
  const grpcPort = Number(/OTLP\/gRPC 127\.0\.0\.1:(\d+)/.exec(up.stderr)?.[1]);
  assert.ok(grpcPort > 0, up.stderr);
  return { up, dir, dashPort, grpcPort };
}
