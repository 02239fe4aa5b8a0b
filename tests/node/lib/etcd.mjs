// Copyright idgen authors.
//
// Real etcd for tests: Debian's etcd-server (/usr/bin/etcd, or IDGEN_ETCD_BIN),
// one member or a three-member cluster, on free loopback ports with its data
// in fresh temporary directories. Every wait is bounded; members are stopped
// by pid (after the test `t`, and as a last resort on process exit) and their
// directories removed.
//
//   const etcd = await startEtcd(t, { members: 3 });
//   etcd.endpoints            // "http://127.0.0.1:P1,http://127.0.0.1:P2,..."
//   await etcd.members[0].stop();  await etcd.members[0].start();
//   etcd.members[1].pause();  etcd.members[1].resume();   // SIGSTOP / SIGCONT
//   const leader = await etcd.leader();                   // a member
//
// TLS: startEtcd(t, { tls: { ca, cert, key, clientCert, clientKey } }) serves
// https:// with etcd's certificate `cert`/`key` and requires client
// certificates from the CA `ca` (--client-cert-auth); health polls present
// clientCert/clientKey (file paths). `args` are extra etcd flags.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

import { freePort, sleep, withTimeout } from './harness.mjs';

export const ETCD_BIN = process.env.IDGEN_ETCD_BIN || '/usr/bin/etcd';

const live = new Set(); // members with a running process
const dirs = new Set();
process.on('exit', () => {
  for (const m of live) {
    try {
      process.kill(m.pid, 'SIGCONT');
      process.kill(m.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// POST to etcd's JSON gateway; resolves to the parsed body or throws.
async function gateway(clientPort, apiPath, body, timeoutMs = 1000, tls = undefined) {
  if (tls) return gatewayTls(clientPort, apiPath, body, timeoutMs, tls);
  const res = await fetch(`http://127.0.0.1:${clientPort}${apiPath}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status !== 200) throw new Error(`etcd ${apiPath}: HTTP ${res.status}`);
  return res.json();
}

// The same over https, presenting the client certificate.
function gatewayTls(clientPort, apiPath, body, timeoutMs, tls) {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: clientPort,
        path: apiPath,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ca: readFileSync(tls.ca),
        cert: readFileSync(tls.clientCert),
        key: readFileSync(tls.clientKey),
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`etcd ${apiPath}: HTTP ${res.statusCode}`));
          else resolve(JSON.parse(text));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`etcd ${apiPath} timed out`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

class Member {
  constructor({ name, dir, clientPort, peerPort, initialCluster, token, tls, extraArgs }) {
    Object.assign(this, { name, dir, clientPort, peerPort, initialCluster, token, tls, extraArgs });
    this.pid = 0;
    this.exited = null;
    this.log = '';
  }

  get endpoint() {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }

  // Starts the member (again, on the same ports and data); resolves once the
  // process runs. Use cluster.waitHealthy() for "answers requests".
  start() {
    assert.equal(this.pid, 0, `${this.name} is already running`);
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const args = [
      '--name', this.name,
      '--data-dir', path.join(this.dir, 'data'),
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', this.initialCluster,
      '--initial-cluster-token', this.token,
      '--initial-cluster-state', 'new',
      // Faster elections than the defaults (100/1000 ms): leader loss in
      // tests resolves in about a second on loopback.
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--log-level', 'warn',
      ...(this.tls
        ? ['--client-cert-auth', '--trusted-ca-file', this.tls.ca,
          '--cert-file', this.tls.cert, '--key-file', this.tls.key]
        : []),
      ...this.extraArgs,
    ];
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.unref();
    child.stderr.unref();
    child.stderr.setEncoding('utf8').on('data', (c) => {
      this.log = (this.log + c).slice(-64 * 1024);
    });
    this.pid = child.pid;
    live.add(this);
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        live.delete(this);
        this.pid = 0;
        resolve({ code, signal });
      });
      child.on('error', (error) => {
        live.delete(this);
        this.pid = 0;
        resolve({ code: null, signal: null, error });
      });
    });
  }

  // SIGTERM, then SIGKILL after timeoutMs. No-op when not running.
  async stop({ signal = 'SIGTERM', timeoutMs = 5000 } = {}) {
    if (!this.pid) return;
    const pid = this.pid;
    try {
      process.kill(pid, 'SIGCONT'); // a paused member cannot handle SIGTERM
      process.kill(pid, signal);
    } catch {
      // gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    await withTimeout(this.exited, timeoutMs + 5000, `exit of etcd ${this.name}`);
    clearTimeout(timer);
  }

  kill9() {
    return this.stop({ signal: 'SIGKILL' });
  }

  pause() {
    if (this.pid) process.kill(this.pid, 'SIGSTOP');
  }

  resume() {
    if (this.pid) process.kill(this.pid, 'SIGCONT');
  }

  // { memberId, leaderId } from this member, or throws.
  async status() {
    const s = await gateway(this.clientPort, '/v3/maintenance/status', {}, 1000, this.tls);
    return { memberId: s.header.member_id, leaderId: s.leader };
  }
}

// Starts `members` etcd members (1 or 3) and waits until every one answers
// a KV request. Stopped after the test `t` (if given).
export async function startEtcd(t, { members = 1, timeoutMs = 20000, tls, args = [] } = {}) {
  assert.ok(existsSync(ETCD_BIN), `etcd not found at ${ETCD_BIN} (scripts/setup.sh installs etcd-server)`);
  const root = mkdtempSync(path.join(os.tmpdir(), 'idgen-etcd-'));
  dirs.add(root);
  const specs = [];
  for (let i = 0; i < members; i++) {
    specs.push({ name: `m${i}`, clientPort: await freePort(), peerPort: await freePort() });
  }
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  const token = path.basename(root);
  const cluster = {
    root,
    members: specs.map(
      (s) => new Member({ ...s, dir: path.join(root, s.name), initialCluster, token, tls, extraArgs: args }),
    ),
    get endpoints() {
      return this.members.map((m) => m.endpoint).join(',');
    },
    // Polls until every running member answers a range request.
    async waitHealthy(limitMs = timeoutMs) {
      const end = Date.now() + limitMs;
      for (;;) {
        const results = await Promise.allSettled(
          this.members
            .filter((m) => m.pid)
            .map((m) =>
              gateway(m.clientPort, '/v3/kv/range', { key: Buffer.from('probe').toString('base64') }, 1000, tls),
            ),
        );
        if (results.every((r) => r.status === 'fulfilled')) return;
        if (Date.now() > end) {
          const logs = this.members.map((m) => `--- ${m.name}:\n${m.log.slice(-2000)}`).join('\n');
          throw new Error(`etcd not healthy within ${limitMs} ms:\n${logs}`);
        }
        await sleep(100);
      }
    },
    // The member that is leader now, asked of the running members.
    async leader() {
      for (const m of this.members.filter((x) => x.pid)) {
        try {
          const { leaderId } = await m.status();
          for (const candidate of this.members.filter((x) => x.pid)) {
            const { memberId } = await candidate.status();
            if (memberId === leaderId) return candidate;
          }
        } catch {
          // this member does not answer; ask another
        }
      }
      return undefined;
    },
    async stop() {
      await Promise.allSettled(this.members.map((m) => m.stop()));
      rmSync(root, { recursive: true, force: true });
      dirs.delete(root);
    },
  };
  for (const m of cluster.members) m.start();
  try {
    await cluster.waitHealthy();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  if (t) t.after(() => cluster.stop());
  return cluster;
}
