// Copyright idgen authors.
//
// The OCI image as an operator meets it: scripts/package.sh on the build
// already made, scripts/image.sh (a Debian 12 root file system from Debian's
// archive by mmdebstrap, the idgen .deb installed into it, imported by
// podman; no registry), then the image run by podman: its configuration
// (non-root user 10001, ENTRYPOINT idgen serve), a node serving IDs on the
// host's loopback, the process inside running as idgen, and a graceful stop
// on SIGTERM (exit code 0); then the etcd image of the Kubernetes etcd
// overlay (scripts/image.sh --etcd) and a node of the idgen image taking its
// worker id from it.
//
// podman runs with the runc runtime and the cgroupfs manager, and with
// rlimits no higher than this process's: the container hosts this runs on
// have hybrid cgroups (crun refuses them) and no CAP_SYS_RESOURCE (podman's
// default limits cannot be set). docs/DEPLOYMENT.md shows both forms.
//
// Needs root (mmdebstrap --mode=root, podman's storage); as another user the
// test is skipped, loudly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, grpcClients, httpGet, idgenBin, runProcess, tempDir, unary, waitUntil } from './lib/harness.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = (cmd, args, opts = {}) => runProcess(cmd, args, { timeoutMs: 300000, ...opts });

// The podman invocation that works on the test hosts (see above).
async function podmanArgs() {
  const hard = (flag) => run('sh', ['-c', `ulimit ${flag}`]).then((r) => r.stdout.trim());
  const nofile = Math.min(65536, Number(await hard('-Hn')) || 1024);
  const nproc = Math.min(4096, Number(await hard('-Hu')) || 4096);
  return {
    global: ['--runtime', '/usr/sbin/runc', '--cgroup-manager', 'cgroupfs'],
    limits: ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`],
  };
}

test('OCI image: built from Debian packages, runs as idgen, serves IDs, stops on SIGTERM', async (t) => {
  if (process.getuid() !== 0) {
    const why = 'NOT RUN: the image test needs root (mmdebstrap --mode=root, podman); run it as root';
    console.error(`\n!!! ${why}\n`);
    t.skip(why);
    return;
  }
  const build = path.dirname(path.dirname(idgenBin()));
  const out = tempDir(t, 'idgen-image-deb-');
  const tag = `localhost/idgen-test:${randomBytes(4).toString('hex')}`;
  const name = `idgen-image-test-${randomBytes(4).toString('hex')}`;
  const { global, limits } = await podmanArgs();
  const podman = (args, opts) => run('podman', [...global, ...args], opts);
  t.after(async () => {
    await podman(['rm', '-f', '-t', '0', name]);
    await podman(['rmi', '-f', tag]);
  });

  // The etcd image (checked below) needs nothing from the idgen image: it is
  // built meanwhile, as both builds mostly wait on Debian's archive.
  const etcdTag = `localhost/idgen-etcd-test:${randomBytes(4).toString('hex')}`;
  const etcdImageBuild = run(path.join(ROOT, 'scripts/image.sh'), ['--etcd', '--tag', etcdTag]);
  t.after(async () => {
    await etcdImageBuild.catch(() => {});
    await podman(['rmi', '-f', etcdTag]);
  });

  const built = await run(path.join(ROOT, 'scripts/package.sh'), ['--build', build, '--out', out]);
  assert.equal(built.code, 0, built.stderr);
  const deb = built.stdout.trim().split('\n').find((d) => path.basename(d).startsWith('idgen_'));
  assert.ok(deb, built.stdout);
  const image = await run(path.join(ROOT, 'scripts/image.sh'), ['--deb', deb, '--tag', tag]);
  assert.equal(image.code, 0, image.stderr.slice(-3000));
  assert.equal(image.stdout.trim(), tag);

  const inspect = await podman(['image', 'inspect', tag, '--format', '{{json .Config}}']);
  assert.equal(inspect.code, 0, inspect.stderr);
  const config = JSON.parse(inspect.stdout);
  assert.equal(config.User, '10001:10001');
  assert.deepEqual(config.Entrypoint, ['/usr/bin/idgen']);
  assert.deepEqual(config.Cmd, ['serve']);

  // The node, on the host's loopback (host network: nothing is exposed beyond it).
  const grpcPort = await freePort();
  const adminPort = await freePort();
  const started = await podman(['run', '-d', '--name', name, '--network', 'host', ...limits, tag, 'serve',
    '--listen', `127.0.0.1:${grpcPort}`, '--admin-listen', `127.0.0.1:${adminPort}`]);
  assert.equal(started.code, 0, started.stderr);
  await waitUntil(async () => (await httpGet(adminPort, '/health')).status === 200,
    { what: 'the node in the container serving', polls: 300 });
  const { idgen } = grpcClients(t, `127.0.0.1:${grpcPort}`);
  const res = await unary(idgen, 'NextIds', { count: 3 });
  assert.equal(res.ids.length, 3);
  assert.ok(BigInt(res.ids[0]) < BigInt(res.ids[1]) && BigInt(res.ids[1]) < BigInt(res.ids[2]));
  const id = await podman(['exec', name, 'id', '-u']);
  assert.equal(id.stdout.trim(), '10001', id.stderr);
  const state = await podman(['exec', name, 'ls', '-ld', '/var/lib/idgen']);
  assert.match(state.stdout, /idgen +idgen/, 'the state dir belongs to idgen');

  // podman stop sends SIGTERM: the node drains and exits 0 within the grace.
  const stopped = await podman(['stop', '-t', '20', name]);
  assert.equal(stopped.code, 0, stopped.stderr);
  const exit = await podman(['inspect', name, '--format', '{{.State.ExitCode}}']);
  assert.equal(exit.stdout.trim(), '0', 'exit code after SIGTERM');
  const logs = await podman(['logs', name]);
  assert.match(logs.stdout + logs.stderr, /SIGTERM/);

  // The etcd image of the Kubernetes etcd overlay (image.sh --etcd), and the
  // idgen image coordinating through it, as in that overlay.
  const etcdName = `${name}-etcd`;
  const nodeName = `${name}-node`;
  t.after(async () => {
    await podman(['rm', '-f', '-t', '0', nodeName]);
    await podman(['rm', '-f', '-t', '0', etcdName]);
  });
  const etcdImage = await etcdImageBuild;
  assert.equal(etcdImage.code, 0, etcdImage.stderr.slice(-3000));
  const etcdConfig = JSON.parse((await podman(['image', 'inspect', etcdTag, '--format', '{{json .Config}}'])).stdout);
  assert.equal(etcdConfig.User, '10001:10001');
  assert.deepEqual(etcdConfig.Entrypoint, ['/usr/bin/etcd']);
  const clientPort = await freePort();
  const peerPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const etcdStarted = await podman(['run', '-d', '--name', etcdName, '--network', 'host', ...limits, etcdTag,
    '--name', 'e0', '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `e0=http://127.0.0.1:${peerPort}`]);
  assert.equal(etcdStarted.code, 0, etcdStarted.stderr);
  await waitUntil(async () => (await httpGet(clientPort, '/health')).json?.health === 'true',
    { what: 'etcd in its container healthy', polls: 300 });
  const nodeGrpc = await freePort();
  const nodeAdmin = await freePort();
  const nodeStarted = await podman(['run', '-d', '--name', nodeName, '--network', 'host', ...limits,
    '-e', `IDGEN_ETCD=${etcdUrl}`, '-e', 'IDGEN_CLUSTER=images', tag, 'serve',
    '--listen', `127.0.0.1:${nodeGrpc}`, '--admin-listen', `127.0.0.1:${nodeAdmin}`]);
  assert.equal(nodeStarted.code, 0, nodeStarted.stderr);
  await waitUntil(async () => (await httpGet(nodeAdmin, '/health')).status === 200,
    { what: 'the node on the etcd container serving', polls: 300 });
  const nodeInfo = (await httpGet(nodeAdmin, '/info')).json;
  assert.equal(nodeInfo.lease.backend, 'etcd', JSON.stringify(nodeInfo.lease));
  const onEtcd = grpcClients(t, `127.0.0.1:${nodeGrpc}`);
  assert.equal((await unary(onEtcd.idgen, 'NextIds', { count: 2 })).ids.length, 2);
  assert.equal((await podman(['stop', '-t', '20', nodeName])).code, 0);
  assert.equal((await podman(['inspect', nodeName, '--format', '{{.State.ExitCode}}'])).stdout.trim(), '0');
});
