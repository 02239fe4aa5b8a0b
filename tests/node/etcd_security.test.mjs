// Copyright idgen authors.
//
// A node against a real etcd (Debian's etcd-server) that serves https:// and
// requires client certificates (--client-cert-auth), and then has
// authentication enabled with 2 s simple tokens. One PKI and one etcd for the
// whole file: the TLS tests run first, the authentication tests enable auth
// (etcdctl) and run after them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import path from 'node:path';

import { asn1Time, caDatabase, issue, makeCa, makeLeaf, publishCrl, revoke } from './lib/certs.mjs';
import { startEtcd } from './lib/etcd.mjs';
import { startClusterNode } from './lib/cluster.mjs';
import {
  grpcClients,
  httpGet,
  runIdgen,
  runProcess,
  sleep,
  tempDir,
  unary,
  waitUntil,
} from './lib/harness.mjs';

const ETCDCTL = process.env.IDGEN_ETCDCTL_BIN || '/usr/bin/etcdctl';
const PASSWORD = 'pw-Zq81-never-logged';

let pki; // { dir, ca, other, client, stranger }
let etcd;

before(async () => {
  const dir = tempDir(undefined, 'idgen-etcd-pki-');
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other', 'another CA');
  const server = makeLeaf(dir, ca, 'etcd', { kind: 'server+client' });
  // Not an etcd user: once auth is on, this certificate alone grants nothing.
  const client = makeLeaf(dir, ca, 'client', { kind: 'client', cn: 'idgen-node' });
  const stranger = makeLeaf(dir, other, 'stranger', { kind: 'client', cn: 'idgen-node' });
  pki = { dir, ca, other, client, stranger };
  etcd = await startEtcd(undefined, {
    tls: { ca: ca.cert, cert: server.cert, key: server.key, clientCert: client.cert, clientKey: client.key },
    args: ['--auth-token', 'simple', '--auth-token-ttl', '2'],
  });
});

after(async () => {
  await etcd?.stop();
});

const tlsFlags = (leaf) => [
  '--etcd-cacert', pki.ca.cert,
  ...(leaf ? ['--etcd-cert', leaf.cert, '--etcd-key', leaf.key] : []),
];

// `idgen serve` expected to fail at start-up: { code, stderr }.
async function failedStart(t, args, env = {}) {
  const res = await runIdgen(
    ['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
      '--state-dir', tempDir(t), '--etcd', etcd.endpoints, ...args],
    { env, timeoutMs: 15000 },
  );
  assert.ok(!res.timedOut, `idgen serve kept running: ${res.stderr}`);
  return res;
}

test('https etcd with client certificates: no certificate and a foreign CA fail start-up as TLS problems; the right ones serve IDs', async (t) => {
  const endpoint = etcd.endpoints;
  for (const leaf of [undefined, pki.stranger]) {
    const res = await failedStart(t, tlsFlags(leaf));
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /TLS problem with etcd/);
    assert.ok(res.stderr.includes(endpoint), res.stderr);
  }
  // etcd's certificate does not chain to the CA given.
  const wrongCa = await failedStart(t, ['--etcd-cacert', pki.other.cert,
    '--etcd-cert', pki.client.cert, '--etcd-key', pki.client.key]);
  assert.equal(wrongCa.code, 1, wrongCa.stderr);
  assert.match(wrongCa.stderr, /TLS problem with etcd.*certificate verify failed/s);

  const node = await startClusterNode(t, { etcd, cluster: 'tls', ttl: 10, args: tlsFlags(pki.client) });
  const info = await node.info();
  assert.ok(Number(info.worker_id) >= 0, JSON.stringify(info));
  assert.equal(info.lease.backend, 'etcd');
  const { idgen } = grpcClients(t, node.address);
  assert.equal((await unary(idgen, 'NextIds', { count: 3 })).ids.length, 3);
});

test('--etcd-crl-dir: an etcd whose certificate is revoked fails start-up as a TLS problem; without the CRLs it is taken', async (t) => {
  const dir = tempDir(t, 'idgen-etcd-crl-');
  const ca = caDatabase(dir, makeCa(dir, 'ca'));
  const client = issue(dir, ca, 'client', { cn: 'idgen-node' });
  const server = issue(dir, ca, 'etcd-revoked', { kind: 'server+client' });
  revoke(ca, server);
  const crlDir = path.join(dir, 'crl');
  publishCrl(ca, crlDir);
  const revokedEtcd = await startEtcd(t, {
    tls: { ca: ca.cert, cert: server.cert, key: server.key, clientCert: client.cert, clientKey: client.key },
  });
  const flags = ['--etcd-cacert', ca.cert, '--etcd-cert', client.cert, '--etcd-key', client.key];
  const res = await runIdgen(['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
    '--state-dir', tempDir(t), '--etcd', revokedEtcd.endpoints, ...flags, '--etcd-crl-dir', crlDir],
  { timeoutMs: 15000 });
  assert.ok(!res.timedOut, `idgen serve kept running: ${res.stderr}`);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /TLS problem with etcd/);
  assert.ok(res.stderr.includes(revokedEtcd.endpoints), res.stderr);
  // The same etcd, the same files, no CRLs: the revocation was the refusal.
  const node = await startClusterNode(t, { etcd: revokedEtcd, cluster: 'crl', ttl: 10, args: flags });
  assert.ok(Number((await node.info()).worker_id) >= 0);
});

// A TLS front for the file's etcd that presents `leaf` (any validity) to
// its clients and passes the HTTP/2 bytes to etcd over a TLS connection of
// its own (with the file's client certificate). etcd itself cannot serve an
// expired certificate: its own gateway dials it with that certificate and
// fails. Returns the front's https:// endpoint; closed after `t`.
async function tlsFront(t, leaf) {
  const member = etcd.members[0];
  const upstream = { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key) };
  const sockets = new Set();
  const server = tls.createServer(
    { cert: readFileSync(leaf.cert), key: readFileSync(leaf.key), ALPNProtocols: ['h2'] },
    (down) => {
      const up = tls.connect({ host: '127.0.0.1', port: member.clientPort, servername: 'localhost', ALPNProtocols: ['h2'], ...upstream });
      for (const s of [down, up]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => { sockets.delete(s); down.destroy(); up.destroy(); });
      }
      down.pipe(up);
      up.pipe(down);
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `https://127.0.0.1:${server.address().port}`;
}

test('expired and not-yet-valid certificates on the etcd link: etcd\'s fail start-up as a TLS problem, the node\'s own exit 2 naming the flag; valid ones are taken', async (t) => {
  const dir = tempDir(t, 'idgen-etcd-validity-');
  const ca = caDatabase(dir, makeCa(dir, 'ca'));
  const leaves = {
    expired: issue(dir, ca, 'etcd-expired', { kind: 'server', startdate: asn1Time(-3), enddate: asn1Time(-2) }),
    'not yet valid': issue(dir, ca, 'etcd-future', { kind: 'server', startdate: asn1Time(1), enddate: asn1Time(2) }),
  };
  const flags = ['--etcd-cacert', ca.cert, '--etcd-cert', pki.client.cert, '--etcd-key', pki.client.key];
  for (const [what, leaf] of Object.entries(leaves)) {
    const endpoint = await tlsFront(t, leaf);
    const res = await runIdgen(['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
      '--state-dir', tempDir(t), '--etcd', endpoint, ...flags], { timeoutMs: 15000 });
    assert.ok(!res.timedOut, `${what}: idgen serve kept running: ${res.stderr}`);
    assert.equal(res.code, 1, `${what}: ${res.stderr}`);
    assert.match(res.stderr, /TLS problem with etcd/, what);
    assert.ok(res.stderr.includes(endpoint), `${what}: ${res.stderr}`);
  }
  // And the other way: a client certificate from etcd's CA that has expired
  // or is not valid yet never reaches etcd; the node names it and exits 2.
  const etcdCa = caDatabase(dir, pki.ca, 'etcd-ca');
  for (const [what, range, reason] of [['expired', [-3, -2], /expired at/], ['not yet valid', [1, 2], /not valid before/]]) {
    const leaf = issue(dir, etcdCa, `client-${range[0]}`, { cn: 'idgen-node', startdate: asn1Time(range[0]), enddate: asn1Time(range[1]) });
    const res = await failedStart(t, tlsFlags(leaf));
    assert.equal(res.code, 2, `a client certificate ${what}: ${res.stderr}`);
    assert.ok(res.stderr.includes(`--etcd-cert "${leaf.cert}"`), res.stderr);
    assert.match(res.stderr, reason, what);
  }
  // The same front and CA with a current certificate: the validity was the refusal.
  const endpoint = await tlsFront(t, issue(dir, ca, 'etcd-current', { kind: 'server' }));
  const node = await startClusterNode(t, { etcd: { endpoints: endpoint }, cluster: 'validity', ttl: 10, args: flags });
  assert.ok(Number((await node.info()).worker_id) >= 0);
});

test('TLS and password flags that cannot work are refused with exit 2 naming the flag', async (t) => {
  const dir = tempDir(t);
  const loosePassword = path.join(dir, 'password');
  writeFileSync(loosePassword, `${PASSWORD}\n`);
  chmodSync(loosePassword, 0o644);
  const plain = 'http://127.0.0.1:1';
  const cases = [
    [['--etcd', plain, '--etcd-cacert', pki.ca.cert], /--etcd-cacert applies to https:\/\//],
    [['--etcd', plain, '--etcd-cert', pki.client.cert], /--etcd-cert applies to https:\/\//],
    [['--etcd', 'https://127.0.0.1:1'], /pass --etcd-cacert/],
    [['--etcd', 'https://127.0.0.1:1,http://127.0.0.1:2', '--etcd-cacert', pki.ca.cert], /mixes https:\/\/ and plaintext/],
    [['--etcd', 'https://127.0.0.1:1', '--etcd-cacert', pki.ca.cert, '--etcd-cert', pki.client.cert],
      /--etcd-cert and --etcd-key go together/],
    [['--etcd', plain, '--etcd-user', 'idgen'], /--etcd-user "idgen" needs a password/],
    [['--etcd-cacert', pki.ca.cert], /--etcd-cacert needs --etcd/],
    [['--etcd-crl-dir', pki.dir], /--etcd-crl-dir needs --etcd/],
    [['--etcd', plain, '--etcd-crl-dir', pki.dir], /--etcd-crl-dir applies to https:\/\//],
    [['--etcd', 'https://127.0.0.1:1', '--etcd-cacert', pki.ca.cert, '--etcd-crl-dir', pki.dir], /--etcd-crl-dir/],
    [['--etcd', plain, '--etcd-user', 'idgen', '--etcd-password-file', loosePassword],
      /--etcd-password-file .* may be read by group or others/],
  ];
  for (const [args, pattern] of cases) {
    const res = await runIdgen(['serve', '--listen', '127.0.0.1:0', '--state-dir', dir, ...args]);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
    assert.match(res.stderr, pattern, args.join(' '));
    assert.ok(!res.stderr.includes(PASSWORD));
  }
  // A key file others may read is refused as for the node's own keys.
  const looseKey = path.join(dir, 'client.key');
  writeFileSync(looseKey, '');
  chmodSync(looseKey, 0o644);
  const res = await runIdgen(['serve', '--listen', '127.0.0.1:0', '--state-dir', dir, '--etcd', 'https://127.0.0.1:1',
    '--etcd-cacert', pki.ca.cert, '--etcd-cert', pki.client.cert, '--etcd-key', looseKey]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /--etcd-key .* may be read by group or others/);
});

// etcdctl against the file's etcd, as root once auth is on.
async function etcdctl(...args) {
  const res = await runProcess(ETCDCTL, [
    '--endpoints', etcd.endpoints, '--cacert', pki.ca.cert, '--cert', pki.client.cert, '--key', pki.client.key,
    ...args,
  ], { timeoutMs: 10000 });
  assert.equal(res.code, 0, `etcdctl ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

let authEnabled;
function enableAuth() {
  authEnabled ??= (async () => {
    await etcdctl('user', 'add', 'root', '--new-user-password', 'root-pw');
    await etcdctl('user', 'grant-role', 'root', 'root');
    await etcdctl('user', 'add', 'idgen', '--new-user-password', PASSWORD);
    await etcdctl('role', 'add', 'idgen-rw');
    await etcdctl('role', 'grant-permission', 'idgen-rw', '--prefix=true', 'readwrite', '/idgen/auth/');
    await etcdctl('user', 'grant-role', 'idgen', 'idgen-rw');
    await etcdctl('user', 'add', 'elsewhere', '--new-user-password', 'elsewhere-pw');
    await etcdctl('role', 'add', 'other-rw');
    await etcdctl('role', 'grant-permission', 'other-rw', '--prefix=true', 'readwrite', '/other/');
    await etcdctl('user', 'grant-role', 'elsewhere', 'other-rw');
    await etcdctl('auth', 'enable');
  })();
  return authEnabled;
}

// Authenticate calls the node made, from its etcd call histogram.
async function authentications(node) {
  const { body } = await httpGet(node.adminPort, '/metrics');
  const m = /^idgen_etcd_call_duration_seconds_count\{etcd_op="Authenticate",outcome="ok"\} (\d+)/m.exec(body);
  return m ? Number(m[1]) : 0;
}

test('etcd auth with 2 s tokens: the node keeps its lease past three token lifetimes, renewing its token', async (t) => {
  await enableAuth();
  const started = Date.now();
  const node = await startClusterNode(t, {
    etcd,
    cluster: 'auth',
    ttl: 15,
    args: [...tlsFlags(pki.client), '--etcd-user', 'idgen'],
    env: { IDGEN_ETCD_PASSWORD: PASSWORD },
  });
  const worker = Number((await node.info()).worker_id);
  assert.ok(worker >= 0);
  const { idgen } = grpcClients(t, node.address);
  assert.equal((await unary(idgen, 'NextIds', { count: 2 })).ids.length, 2);
  assert.ok((await authentications(node)) >= 1);

  // The node uses its token about every second, and etcd extends a simple
  // token at each use; paused for twice the token's lifetime it comes back
  // with an expired token (the lease, 15 s, outlives the pause).
  await sleep(2500);
  const before = await authentications(node);
  process.kill(node.pid, 'SIGSTOP');
  await sleep(4500);
  process.kill(node.pid, 'SIGCONT');
  await waitUntil(async () => (await authentications(node)) > before, { polls: 50, what: 'a new Authenticate' });

  // The time reservation ran out during the pause, so /health answers 503
  // until the keeper's next write, which follows the new token: wait for it
  // rather than race it. The lease itself was never lost: same worker id,
  // and still the one claim.
  await waitUntil(async () => {
    const h = await node.health();
    if (h.status !== 200) throw new Error(`/health ${h.status} ${h.body}`);
    return true;
  }, { polls: 50, what: '/health 200 after the pause' });
  const afterPause = await node.info();
  assert.equal(Number(afterPause.worker_id), worker, 'the lease was kept');
  assert.equal(Number(afterPause.lease.claims), 1, 'no second claim');
  assert.equal((await unary(idgen, 'NextIds', { count: 2 })).ids.length, 2);
  await sleep(Math.max(0, started + 7000 - Date.now())); // > 3 token lifetimes in all
  assert.equal((await node.health()).status, 200);
  assert.equal(Number((await node.info()).worker_id), worker);

  const info = await httpGet(node.adminPort, '/info');
  const getInfo = JSON.stringify(await unary(idgen, 'GetInfo', {}));
  assert.match(getInfo, /"worker_id"/);
  for (const text of [node.stdout, node.stderr, info.body, getInfo]) assert.ok(!text.includes(PASSWORD));
});

test('etcd auth: a wrong password and a role without the cluster prefix fail start-up clearly', async (t) => {
  await enableAuth();
  const dir = tempDir(t);
  const wrong = path.join(dir, 'wrong');
  writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
  const bad = await failedStart(t, [...tlsFlags(pki.client), '--cluster', 'auth', '--etcd-user', 'idgen',
    '--etcd-password-file', wrong]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /etcd refused user "idgen": wrong user name or password/);
  assert.ok(!bad.stderr.includes('not-the-password'));

  const denied = await failedStart(t, [...tlsFlags(pki.client), '--cluster', 'auth', '--etcd-user', 'elsewhere'],
    { IDGEN_ETCD_PASSWORD: 'elsewhere-pw' });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /etcd user "elsewhere" may not read keys under \/idgen\/auth\//);
  assert.ok(!denied.stderr.includes('elsewhere-pw'));
});
