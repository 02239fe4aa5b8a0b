// Copyright idgen authors.
//
// What a local attacker (or an unlucky operator) does to `idgen up`, the
// OTLP receiver and config files, against the real binary: kill -9 of the
// AppHost, a collector that never answers, ports in use, oversized OTLP
// exports and attribute values, and config files that are not what they
// seem (1e400, duplicate keys, /dev/zero, a FIFO nobody writes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import protobuf from 'protobufjs';

import {
  freePort, grpc, httpGet, idgenBin, runIdgen, sleep, startNode, stopNode, tempDir, waitUntil,
} from './lib/harness.mjs';
import { alive, dashGet, resources, startUp, startUpForOtlp } from './lib/up_harness.mjs';

// The inode of the socket listening on 127.0.0.1:port (from /proc/net/tcp).
function listeningInode(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A') return f[9];
  }
  return undefined;
}

// The inodes of every TCP socket in LISTEN state (IPv4 and IPv6).
function listeningInodes() {
  const out = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A') out.add(f[9]);
    }
  }
  return out;
}

// inode -> fd number of the sockets among the open descriptors of `pid`.
function socketFds(pid) {
  const out = new Map();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.set(m[1], fd);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

// Whether descriptor `fd` of `pid` is close-on-exec (O_CLOEXEC in fdinfo).
function closeOnExec(pid, fd) {
  const flags = /^flags:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))[1];
  return (parseInt(flags, 8) & 0o2000000) !== 0;
}

// Resolves once 127.0.0.1:port can be listened on; false after `ms`.
async function bindableWithin(port, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return true;
    await sleep(100);
  }
  return false;
}

// A TCP server that accepts connections and never answers.
async function silentServer(t) {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return server.address().port;
}

async function busyPort(t) {
  const busy = net.createServer();
  await new Promise((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => busy.close());
  return busy.address().port;
}

test('after kill -9 of idgen up its dashboard port is free at once and its children exit within the grace', async (t) => {
  const dashPort = await freePort();
  const first = { dir: tempDir(t, 'idgen-up-k9a-'), gw: await freePort() };
  const up = await startUp(t, ['--embedded', '--nodes', '1', '--state-dir', first.dir,
    '--gateway-listen', `127.0.0.1:${first.gw}`, '--dashboard-listen', `127.0.0.1:${dashPort}`]);
  const pids = Object.values(await resources(dashPort)).map((r) => r.pid);
  assert.ok(pids.length === 2 && pids.every((p) => p > 0 && alive(p)), `pids ${pids}`);
  t.after(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });

  // Every listening socket of the AppHost (dashboard with OTLP/HTTP,
  // OTLP/gRPC) is close-on-exec, and no child holds one.
  const inode = listeningInode(dashPort);
  assert.ok(inode, `no LISTEN socket on ${dashPort}`);
  const listening = listeningInodes();
  const hostListeners = [...socketFds(up.child.pid)].filter(([ino]) => listening.has(ino));
  assert.ok(hostListeners.some(([ino]) => ino === inode), 'the dashboard socket is the AppHost\'s');
  assert.ok(hostListeners.length >= 2, `listeners: ${JSON.stringify(hostListeners)}`);
  for (const [ino, fd] of hostListeners) {
    assert.ok(closeOnExec(up.child.pid, fd), `listening socket ${ino} (fd ${fd}) is not close-on-exec`);
    for (const pid of pids) {
      assert.ok(!socketFds(pid).has(ino), `child ${pid} holds the AppHost's listening socket ${ino}`);
    }
  }

  up.child.kill('SIGKILL');
  await up.exited;
  const killedAt = Date.now();
  assert.ok(await bindableWithin(dashPort, 3000), `port ${dashPort} still bound 3 s after kill -9`);

  // A new idgen up on the same dashboard port comes up.
  const second = { dir: tempDir(t, 'idgen-up-k9b-'), gw: await freePort() };
  await startUp(t, ['--embedded', '--nodes', '1', '--state-dir', second.dir,
    '--gateway-listen', `127.0.0.1:${second.gw}`, '--dashboard-listen', `127.0.0.1:${dashPort}`]);
  assert.equal((await httpGet(dashPort, '/alive')).status, 200);

  // The orphans (PR_SET_PDEATHSIG: SIGTERM) are gone within the AppHost's
  // 10 s stop grace, their last telemetry export to the dead dashboard
  // included.
  await waitUntil(async () => pids.every((p) => !alive(p)), { polls: 120, what: 'orphans exited' });
  assert.ok(Date.now() - killedAt < 10000, `orphans took ${Date.now() - killedAt} ms`);
});

test('a node and a gateway exit within their shutdown bounds after SIGTERM although the collector never answers', async (t) => {
  const silent = await silentServer(t);
  for (const protocol of ['http/protobuf', 'grpc']) {
    const node = await startNode(t, {
      stateDir: tempDir(t, 'idgen-silent-otlp-'),
      args: ['--drain-timeout-ms', '1500'],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${silent}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
      },
    });
    const start = Date.now();
    const exit = await stopNode(node, { timeoutMs: 30000 });
    const took = Date.now() - start;
    assert.equal(exit.code, 0, `${protocol}: ${JSON.stringify(exit)}\n${node.stderr}`);
    assert.ok(took < 1500 + 2000, `${protocol}: SIGTERM to exit took ${took} ms (drain 1500 ms)`);
  }
  // The gateway: its last export gets 3 s.
  const gw = spawn(idgenBin(), ['gateway', '--listen', `127.0.0.1:${await freePort()}`,
    '--backends', `127.0.0.1:${await freePort()}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${silent}`,
      OTEL_METRIC_EXPORT_INTERVAL: '60000' },
  });
  let stderr = '';
  gw.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
  const exited = new Promise((resolve) => gw.on('close', (code, signal) => resolve({ code, signal })));
  const killer = setTimeout(() => gw.kill('SIGKILL'), 30000);
  t.after(() => {
    clearTimeout(killer);
    gw.kill('SIGKILL');
  });
  await waitUntil(async () => /HTTP on port/.test(stderr), { polls: 100, what: 'gateway up' });
  const start = Date.now();
  gw.kill('SIGTERM');
  const exit = await exited;
  const took = Date.now() - start;
  assert.equal(exit.code, 0, `gateway: ${JSON.stringify(exit)}\n${stderr}`);
  assert.ok(took < 3000 + 2000, `gateway: SIGTERM to exit took ${took} ms`);
});

test('a port in use is a configuration error: exit 2 naming the port', async (t) => {
  const dir = tempDir(t, 'idgen-up-busy-');
  const port = await busyPort(t);
  for (const [args, pattern] of [
    [['--dashboard-listen', `127.0.0.1:${port}`, '--gateway-listen', '127.0.0.1:0'],
      new RegExp(`dashboard address 127\\.0\\.0\\.1:${port} \\(port ${port}\\) is in use`)],
    [['--gateway-listen', `127.0.0.1:${port}`, '--dashboard-listen', '127.0.0.1:0'],
      new RegExp(`gateway address 127\\.0\\.0\\.1:${port} \\(port ${port}\\) is in use`)],
  ]) {
    const r = await runIdgen(['up', '--embedded', '--state-dir', dir, ...args], { timeoutMs: 20000 });
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /starting/);
  }
});

test('the OTLP receiver refuses exports over 64 KiB and truncates long values, and says so', async (t) => {
  const { up, dir, dashPort, grpcPort } = await startUpForOtlp(t, 'idgen-up-otlp-caps-');

  const root = protobuf.loadSync(fileURLToPath(new URL('./proto/otlp_test.proto', import.meta.url)));
  const TraceRequest = root.lookupType('otlptest.TraceRequest');
  const traceId = randomBytes(16);
  const encode = (valueBytes) => Buffer.from(TraceRequest.encode(TraceRequest.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'attacker' } }] },
      scopeSpans: [{
        spans: [{
          traceId,
          spanId: randomBytes(8),
          name: 'fat',
          kind: 2,
          startTimeUnixNano: String(BigInt(Date.now()) * 1000000n),
          endTimeUnixNano: String(BigInt(Date.now() + 1) * 1000000n),
          attributes: [{ key: 'blob', value: { stringValue: 'x'.repeat(valueBytes) } }],
        }],
      }],
    }],
  })).finish());

  // OTLP/gRPC: over 64 KiB is RESOURCE_EXHAUSTED, under it is taken.
  const Client = grpc.makeGenericClientConstructor({
    Export: {
      path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      requestStream: false,
      responseStream: false,
      requestSerialize: (b) => b,
      responseDeserialize: (b) => b,
    },
  });
  const client = new Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  t.after(() => client.close());
  const exportGrpc = (body) => new Promise((resolve) =>
    client.Export(body, { deadline: new Date(Date.now() + 5000) }, (err) => resolve(err)));
  const tooBig = await exportGrpc(encode(70 * 1024));
  assert.equal(tooBig?.code, grpc.status.RESOURCE_EXHAUSTED, String(tooBig));
  assert.equal(await exportGrpc(encode(8 * 1024)), null);

  // OTLP/HTTP: the same limit (413).
  const post = (body) => fetch(`http://127.0.0.1:${dashPort}/v1/traces`, {
    method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' },
    signal: AbortSignal.timeout(5000),
  });
  assert.equal((await post(encode(70 * 1024))).status, 413);
  assert.equal((await post(encode(8 * 1024))).status, 200);

  // The 8 KiB values were cut to 1 KiB, visibly, and counted.
  const trace = await dashGet(dashPort, `/api/traces/${traceId.toString('hex')}`);
  assert.equal(trace.status, 200);
  assert.equal(trace.json.spans.length, 2);
  for (const s of trace.json.spans) {
    assert.equal(s.attributes.blob, `${'x'.repeat(1024)}...[truncated from 8192 bytes]`);
  }
  const store = (await dashGet(dashPort, '/api/metrics')).json.store;
  assert.equal(store.values_truncated, 2);
  assert.ok(store.bytes > 0 && store.bytes <= store.max_bytes, JSON.stringify(store));
});

test('config files: 1e400, duplicate keys and oversized files exit 2 naming what is wrong', async (t) => {
  const dir = tempDir(t, 'idgen-config-bad-');
  const file = (name, text) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const huge = file('huge.json', '1e400');
  const nested = file('nested.json', '{"namespaces": [{"name": "a", "epoch_ms": 1e400}]}');
  const dup = file('dup.json', '{"namespaces": [], "namespaces": []}');
  const appHuge = file('app-huge.json', '{"nodes": {"count": 1e400}}');
  const appDup = file('app-dup.json', '{"nodes": {"count": 1, "count": 2}}');
  const stateDir = tempDir(t, 'idgen-config-state-');
  for (const [args, pattern] of [
    [['serve', '--config', huge], /\(root\): number out of range/],
    [['serve', '--config', nested], /namespaces\[0\]\.epoch_ms: number out of range/],
    [['serve', '--config', dup], /namespaces: key given twice/],
    [['serve', '--config', '/dev/zero'], /\/dev\/zero is larger than 4194304 bytes/],
    [['up', '--app', appHuge], /nodes\.count: number out of range/],
    [['up', '--app', appDup], /nodes\.count: key given twice/],
    [['up', '--app', '/dev/zero'], /\/dev\/zero is larger than 4194304 bytes/],
  ]) {
    const extra = args[0] === 'serve'
      ? ['--state-dir', stateDir, '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0']
      : ['--state-dir', stateDir];
    const r = await runIdgen([...args, ...extra], { timeoutMs: 10000 });
    assert.equal(r.timedOut, false, `${args.join(' ')} hung`);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /internal error/);
  }
});

test('a FIFO as config file that nobody writes: SIGTERM still stops the process', async (t) => {
  const dir = tempDir(t, 'idgen-config-fifo-');
  const fifo = path.join(dir, 'config.fifo');
  execFileSync('mkfifo', [fifo]);
  const stateDir = tempDir(t, 'idgen-config-fifo-state-');
  for (const args of [
    ['serve', '--config', fifo, '--state-dir', stateDir, '--listen', '127.0.0.1:0',
      '--admin-listen', '127.0.0.1:0'],
    ['up', '--app', fifo, '--state-dir', stateDir],
  ]) {
    const child = spawn(idgenBin(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
    t.after(() => {
      clearTimeout(killer);
      child.kill('SIGKILL');
    });
    await sleep(500);  // blocked opening the FIFO by now
    const start = Date.now();
    child.kill('SIGTERM');
    const exit = await exited;
    clearTimeout(killer);
    const took = Date.now() - start;
    assert.equal(exit.signal, 'SIGTERM', `${args[0]}: ${JSON.stringify(exit)} after ${took} ms\n${stderr}`);
    assert.ok(took < 5000, `${args[0]}: SIGTERM to exit took ${took} ms`);
  }
});
