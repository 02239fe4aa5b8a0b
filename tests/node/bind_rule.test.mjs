// Copyright idgen authors.
//
// The secure-bind rule for the plaintext HTTP listeners: a node's
// --admin-listen or a gateway's --listen on an address other machines can
// reach, without TLS, is refused with exit 2 naming the flag; with
// --insecure the process starts and warns. The 0.0.0.0 listeners of the
// --insecure cases are checked over 127.0.0.1 and stopped at once.
import assert from 'node:assert/strict';
import test from 'node:test';

import { freePort, httpGet, runIdgen, sleep, spawnIdgen, stopNode, tempDir, trackExit } from './lib/harness.mjs';
import { makeCa, makeLeaf, pem } from './lib/certs.mjs';
import { runGateway } from './lib/gateway_harness.mjs';

// Starts `idgen ARGS`, waits (bounded) for 200 on 127.0.0.1:port/path,
// returns its stderr, and stops it.
async function startCheckStop(t, args, port, urlPath, tls = undefined) {
  const proc = trackExit(spawnIdgen(args));
  t.after(() => stopNode(proc));
  let status;
  for (let i = 0; i < 50 && !proc.exit && status !== 200; i++) {
    try {
      status = (await httpGet(port, urlPath, 500, tls)).status;
    } catch {
      await sleep(100);
    }
  }
  const stderr = proc.out.stderr;
  await stopNode(proc);
  assert.equal(status, 200, `no 200 from ${urlPath} (exit ${JSON.stringify(proc.exit)}): ${stderr}`);
  return stderr;
}

test('a node refuses a plaintext --admin-listen beyond loopback unless --insecure', async (t) => {
  const dir = tempDir(t);
  for (const admin of ['0.0.0.0:0', '[::]:0']) {
    const r = await runIdgen(['serve', '--listen', '127.0.0.1:0', '--admin-listen', admin, '--state-dir', dir]);
    assert.equal(r.code, 2, `exit 2 for ${admin}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--admin-listen ${admin.replace(/[[\].]/g, '\\$&')} is reachable from other machines.*--insecure`));
  }
  // With TLS the rule is met.
  const ca = makeCa(dir);
  const server = makeLeaf(dir, ca, 'server');
  const tlsPort = await freePort();
  const tlsStderr = await startCheckStop(
    t,
    ['serve', '--listen', '127.0.0.1:0', '--admin-listen', `0.0.0.0:${tlsPort}`, '--state-dir', tempDir(t),
      '--tls-cert', server.cert, '--tls-key', server.key],
    tlsPort,
    '/alive',
    { ca: pem(ca.cert) },
  );
  assert.doesNotMatch(tlsStderr, /reachable from other machines|--insecure/);

  // --insecure: it runs, and says so at start.
  const port = await freePort();
  const stderr = await startCheckStop(
    t,
    ['serve', '--listen', '127.0.0.1:0', '--admin-listen', `0.0.0.0:${port}`, '--state-dir', tempDir(t), '--insecure'],
    port,
    '/alive',
  );
  assert.match(stderr, /--insecure: --admin-listen 0\.0\.0\.0:\d+ is served in plaintext/);
});

test('a gateway refuses a plaintext --listen beyond loopback unless --insecure', async (t) => {
  const r = await runGateway(['--listen', '0.0.0.0:0', '--backends', '127.0.0.1:1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--listen 0\.0\.0\.0:0 is reachable from other machines.*--insecure/);
  const port = await freePort();
  const stderr = await startCheckStop(
    t,
    ['gateway', '--listen', `0.0.0.0:${port}`, '--backends', '127.0.0.1:1', '--insecure', '--allow-anonymous'],
    port,
    '/alive',
  );
  assert.match(stderr, /--insecure: --listen 0\.0\.0\.0:\d+ is served in plaintext/);
});
