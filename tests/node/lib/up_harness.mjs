// Copyright idgen authors.
//
// Helpers for tests of `idgen up`: start it (stopped after the test), read
// its dashboard API, press its buttons.
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';

import { httpGet, idgenBin, sleep } from './harness.mjs';

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

