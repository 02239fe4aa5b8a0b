// Copyright idgen authors.
//
// Helpers for tests of `idgen up`: start it (stopped after the test), read
// its dashboard API, press its buttons.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';

import { writeFileSync } from 'node:fs';
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
export async function startUp(t, args, { timeoutMs = 90000 } = {}) {
  const child = spawn(idgenBin(), ['up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  });
  const end = Date.now() + timeoutMs;
  while (!/Press Ctrl-C to stop/.test(up.stdout)) {
    if (up.exit || Date.now() > end) {
      throw new Error(`idgen up did not come up (exit ${JSON.stringify(up.exit)}):\n${up.stderr}\n${up.stdout}`);
    }
    await sleep(100);
  }
  return up;
}

export async function resources(dashPort) {
  const res = await httpGet(dashPort, '/api/resources');
  assert.equal(res.status, 200);
  return Object.fromEntries(res.json.map((r) => [r.name, r]));
}

export function post(port, urlPath) {
  return fetch(`http://127.0.0.1:${port}${urlPath}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
}


// `idgen up` with one embedded node and no gateway, for tests of its OTLP
// receiver: { up, dir, dashPort, grpcPort } (grpcPort: OTLP/gRPC, from the
// start-up lines). --insecure: these tests speak to the receivers in
// plaintext (up_tls.test.mjs covers the mutual TLS ones).
export async function startUpForOtlp(t, dirPrefix) {
  const dir = tempDir(t, dirPrefix);
  const appFile = path.join(dir, 'app.json');
  writeFileSync(appFile, JSON.stringify({ gateway: { enabled: false } }));
  const dashPort = await freePort();
  const up = await startUp(t, ['--embedded', '--insecure', '--nodes', '1', '--app', appFile, '--state-dir', dir,
    '--dashboard-listen', `127.0.0.1:${dashPort}`]);
  const grpcPort = Number(/OTLP\/gRPC 127\.0\.0\.1:(\d+)/.exec(up.stderr)?.[1]);
  assert.ok(grpcPort > 0, up.stderr);
  return { up, dir, dashPort, grpcPort };
}
