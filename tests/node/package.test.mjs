// Copyright idgen authors.
//
// The Debian packages as an operator meets them: scripts/package.sh on the
// build already made (nothing is compiled again), lintian (no error; its
// warnings are the ones docs/DEPLOYMENT.md lists), dpkg -i on this machine,
// systemd-analyze verify on the installed units, the units' ExecStart lines
// run as the idgen user with their Environment= and env files (no systemd
// here: the unit's sandbox itself is not exercised), READY=1 and STOPPING=1
// on a notification socket the test made, IDs from the node and through the
// gateway, a conffile kept on reinstall and on an upgrade to a newer
// version (package.sh --version), then dpkg --purge leaving nothing
// behind (files, state dir, /etc/idgen, the idgen user and group).
//
// Needs root (dpkg -i); as another user the test is skipped, loudly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  freePort, grpcClients, httpGet, idgenBin, runProcess, spawnProcess, stopNode, tempDir, trackExit, unary,
  waitUntil,
} from './lib/harness.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['idgen', 'libidgen-client0', 'libidgen-client-dev'];
const UNITS = ['/lib/systemd/system/idgen-serve.service', '/lib/systemd/system/idgen-gateway.service'];

const run = (cmd, args, opts = {}) => runProcess(cmd, args, { timeoutMs: 120000, ...opts });
const installed = (pkg) => {
  try {
    return /install ok installed/.test(execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { stdio: 'pipe' }).toString());
  } catch {
    return false;
  }
};
const userExists = (name) => run('getent', ['passwd', name]).then((r) => r.code === 0);
const groupExists = (name) => run('getent', ['group', name]).then((r) => r.code === 0);

// The [Service] settings of a unit that starting it needs.
function readUnit(file) {
  const unit = { environment: [], environmentFiles: [] };
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    const m = /^(\w+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m;
    if (key === 'ExecStart') unit.execStart = value.split(/\s+/);
    if (key === 'User') unit.user = value;
    if (key === 'Type') unit.type = value;
    if (key === 'TimeoutStopSec') unit.timeoutStopSec = Number(value);
    if (key === 'Environment') unit.environment.push(value);
    if (key === 'EnvironmentFile') unit.environmentFiles.push(value.replace(/^-/, ''));
  }
  return unit;
}

// Environment= then the files, as systemd reads them (the files win).
function unitEnvironment(unit) {
  const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' };
  const put = (text) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(text);
    if (m) env[m[1]] = m[2].replace(/^"(.*)"$/, '$1');
  };
  unit.environment.forEach(put);
  for (const f of unit.environmentFiles) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (line.trim() && !line.trim().startsWith('#')) put(line.trim());
    }
  }
  return env;
}

// A notification socket in a directory the idgen user can reach.
async function notifySocket(t) {
  const dir = tempDir(t, 'idgen-notify-');
  chmodSync(dir, 0o755);
  const socket = path.join(dir, 'notify');
  const proc = trackExit(spawnProcess('python3', [path.join(ROOT, 'tests/node/lib/notify_socket.py'), socket, '60']));
  t.after(() => stopNode(proc, { timeoutMs: 2000 }));
  await waitUntil(() => proc.out.stdout.includes('LISTENING'), { pollMs: 50, polls: 100, what: 'notify socket' });
  return { socket, messages: () => proc.out.stdout.split('\n').filter((l) => l && l !== 'LISTENING') };
}

// Runs a unit's ExecStart as its User=, with its environment plus `extra`.
const unitProcesses = [];
function startAsUnit(t, unit, extra) {
  const env = { ...unitEnvironment(unit), ...extra };
  const proc = trackExit(spawnProcess('setpriv', ['--reuid', unit.user, '--regid', unit.user, '--init-groups',
    '--no-new-privs', '--inh-caps=-all', '--', ...unit.execStart], { env, cwd: '/' }));
  unitProcesses.push(proc);
  return proc;
}

test('Debian packages: lintian, install, units run as idgen with sd_notify, purge', async (t) => {
  if (process.getuid() !== 0) {
    const why = 'NOT RUN: the package test needs root (dpkg -i, a system user); run it as root';
    console.error(`\n!!! ${why}\n`);
    t.skip(why);
    return;
  }
  for (const pkg of PACKAGES) {
    assert.ok(!installed(pkg), `${pkg} is installed on this machine: this test installs and purges it; remove it first`);
  }
  const build = path.dirname(path.dirname(idgenBin()));
  const out = tempDir(t, 'idgen-deb-');
  t.after(async () => {
    // Whatever happened above, the machine is left as it was: the processes
    // running as idgen first (the purge removes the user).
    for (const proc of unitProcesses) await stopNode(proc, { timeoutMs: 3000 });
    if (PACKAGES.some(installed)) await run('dpkg', ['--purge', ...PACKAGES]);
  });

  const built = await run(path.join(ROOT, 'scripts/package.sh'), ['--build', build, '--out', out]);
  assert.equal(built.code, 0, built.stderr);
  const debs = built.stdout.trim().split('\n');
  assert.deepEqual(debs.map((d) => path.basename(d).split('_')[0]), PACKAGES);

  const fields = (deb, field) => execFileSync('dpkg-deb', ['-f', deb, field]).toString().trim();
  assert.match(fields(debs[0], 'Depends'), /libgrpc\+\+1\.51 \(>= [^)]+\).*libssl3.*adduser/);
  assert.match(fields(debs[1], 'Depends'), /libc6 \(>= /);
  assert.match(fields(debs[2], 'Depends'), /^libidgen-client0 \(= /);
  const contents = execFileSync('dpkg-deb', ['-c', debs[2]]).toString();
  for (const f of ['usr/include/idgen/client/client.h', 'usr/lib/cmake/idgen/idgenConfig.cmake',
    'usr/lib/pkgconfig/idgen-client.pc', 'usr/lib/libidgen_client.so ']) {
    assert.ok(contents.includes(f), `${f} in libidgen-client-dev:\n${contents}`);
  }

  // lintian once, over all three: no error; every warning is documented.
  const lint = await run('lintian', ['--fail-on', 'error', ...debs], { timeoutMs: 180000 });
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
  assert.doesNotMatch(lint.stdout, /^E: /m, lint.stdout);
  const deployment = readFileSync(path.join(ROOT, 'docs/DEPLOYMENT.md'), 'utf8');
  for (const [, tag] of lint.stdout.matchAll(/^W: [^:]+: ([\w-]+)/gm)) {
    assert.ok(deployment.includes(tag), `lintian warning ${tag} is not listed in docs/DEPLOYMENT.md`);
  }

  const install = await run('dpkg', ['-i', ...debs]);
  assert.equal(install.code, 0, install.stdout + install.stderr);
  const files = PACKAGES.flatMap((p) => execFileSync('dpkg', ['-L', p]).toString().trim().split('\n'))
    .filter((f) => f.startsWith('/') && f !== '/.');
  assert.ok(await userExists('idgen'), 'postinst created the idgen user');
  assert.ok(existsSync('/etc/idgen/serve.env') && existsSync('/etc/idgen/gateway.env'));
  assert.deepEqual(readFileSync('/var/lib/dpkg/info/idgen.conffiles', 'utf8').trim().split('\n'),
    ['/etc/idgen/serve.env', '/etc/idgen/gateway.env']);
  // Installed, neither enabled nor started.
  for (const unit of UNITS) {
    assert.ok(!existsSync(`/etc/systemd/system/multi-user.target.wants/${path.basename(unit)}`), `${unit} enabled`);
  }

  const verify = await run('systemd-analyze', ['verify', ...UNITS]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '', verify.stderr);
  // The sandbox the units promise (not run here: no systemd as PID 1), so
  // that dropping a line fails this test.
  for (const unit of UNITS) {
    const text = readFileSync(unit, 'utf8');
    for (const line of ['Type=notify', 'User=idgen', 'NoNewPrivileges=yes', 'ProtectSystem=strict',
      'ProtectHome=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=', 'AmbientCapabilities=',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK', 'SystemCallFilter=@system-service',
      'KillSignal=SIGTERM']) {
      assert.match(text, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), `${unit}: ${line}`);
    }
  }
  assert.match(readFileSync(UNITS[0], 'utf8'), /^StateDirectory=idgen$/m);

  // The node: its unit's ExecStart as idgen, the state dir made as
  // StateDirectory= makes it, ports moved off the defaults to free ones.
  const serve = readUnit(UNITS[0]);
  assert.equal(serve.type, 'notify');
  assert.equal(serve.user, 'idgen');
  assert.deepEqual(serve.execStart, ['/usr/bin/idgen', 'serve']);
  assert.equal(unitEnvironment(serve).IDGEN_STATE_DIR, '/var/lib/idgen');
  mkdirSync('/var/lib/idgen', { mode: 0o750 });
  execFileSync('chown', ['idgen:idgen', '/var/lib/idgen']);
  const grpcPort = await freePort();
  const adminPort = await freePort();
  const nodeNotify = await notifySocket(t);
  const node = startAsUnit(t, serve, {
    IDGEN_LISTEN: `127.0.0.1:${grpcPort}`, IDGEN_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    NOTIFY_SOCKET: nodeNotify.socket,
  });
  await waitUntil(() => node.exit !== undefined || nodeNotify.messages().includes('READY=1'),
    { pollMs: 50, polls: 200, what: 'READY=1 from the node' });
  assert.equal(node.exit, undefined, node.out.stderr);
  const { idgen } = grpcClients(t, `127.0.0.1:${grpcPort}`);
  const ids = await unary(idgen, 'NextIds', { namespace: '', count: 5 });
  assert.equal(ids.ids.length, 5);
  const info = (await httpGet(adminPort, '/info')).json;
  assert.equal(info.lease.backend, 'file');
  const lock = `/var/lib/idgen/workers/${info.worker_id}.lock`;
  assert.equal(execFileSync('stat', ['-c', '%U', lock]).toString().trim(), 'idgen', `${lock} owned by idgen`);

  // The gateway's unit in front of it.
  const gatewayUnit = readUnit(UNITS[1]);
  const gatewayPort = await freePort();
  const gwNotify = await notifySocket(t);
  const gateway = startAsUnit(t, gatewayUnit, {
    IDGEN_BACKENDS: `127.0.0.1:${grpcPort}`, IDGEN_GATEWAY_LISTEN: `127.0.0.1:${gatewayPort}`,
    NOTIFY_SOCKET: gwNotify.socket,
  });
  await waitUntil(() => gateway.exit !== undefined || gwNotify.messages().includes('READY=1'),
    { pollMs: 50, polls: 200, what: 'READY=1 from the gateway' });
  assert.equal(gateway.exit, undefined, gateway.out.stderr);
  let viaGateway;
  await waitUntil(async () => {
    viaGateway = await httpGet(gatewayPort, '/v1/ids?count=3');
    return viaGateway.status === 200;
  }, { polls: 50, what: 'IDs through the gateway' });
  assert.equal(viaGateway.json.ids.length, 3);

  // SIGTERM: STOPPING=1, then a clean exit well within TimeoutStopSec.
  for (const [proc, notify, unit] of [[gateway, gwNotify, gatewayUnit], [node, nodeNotify, serve]]) {
    const exit = await stopNode(proc, { timeoutMs: unit.timeoutStopSec * 1000 });
    assert.equal(exit.code, 0, proc.out.stderr);
    await waitUntil(() => notify.messages().includes('STOPPING=1'), { pollMs: 50, polls: 40, what: 'STOPPING=1' });
  }

  // A reinstall keeps an edited conffile.
  appendFileSync('/etc/idgen/serve.env', '# edited by the operator\n');
  const again = await run('dpkg', ['-i', debs[0]]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(readFileSync('/etc/idgen/serve.env', 'utf8'), /# edited by the operator\n$/);

  // An upgrade to a newer version (the same build packed as VERSION+1):
  // the maintainer scripts run as an upgrade, the edited conffile and the
  // idgen user stay, and the new version is the one installed.
  const version = fields(debs[0], 'Version');
  const newer = `${version}+1`;
  const out2 = tempDir(t, 'idgen-deb-newer-');
  const built2 = await run(path.join(ROOT, 'scripts/package.sh'), ['--build', build, '--out', out2, '--version', newer]);
  assert.equal(built2.code, 0, built2.stderr);
  const debs2 = built2.stdout.trim().split('\n');
  const upgrade = await run('dpkg', ['-i', ...debs2]);
  assert.equal(upgrade.code, 0, upgrade.stdout + upgrade.stderr);
  assert.match(upgrade.stdout, new RegExp(`Preparing to unpack .*idgen_${newer.replace(/[+.]/g, '\\$&')}_.*\\.deb`));
  assert.match(upgrade.stdout, new RegExp(`Unpacking idgen \\(${newer.replace(/[+.]/g, '\\$&')}\\) over \\(${version.replace(/[+.]/g, '\\$&')}\\)`));
  assert.equal(execFileSync('dpkg-query', ['-W', '-f=${Version}', 'idgen']).toString(), newer);
  assert.match(readFileSync('/etc/idgen/serve.env', 'utf8'), /# edited by the operator\n$/);
  assert.ok(await userExists('idgen'), 'the idgen user stays across an upgrade');
  const badVersion = await run(path.join(ROOT, 'scripts/package.sh'), ['--build', build, '--out', out2, '--version', 'not a version']);
  assert.equal(badVersion.code, 1);
  assert.match(badVersion.stderr, /--version "not a version" is not a Debian version/);

  const purge = await run('dpkg', ['--purge', ...PACKAGES]);
  assert.equal(purge.code, 0, purge.stdout + purge.stderr);
  const shared = new Set(['/etc', '/lib', '/lib/systemd', '/lib/systemd/system', '/usr', '/usr/bin', '/usr/lib',
    '/usr/include', '/usr/share', '/usr/share/doc', '/usr/lib/cmake', '/usr/lib/pkgconfig']);
  const left = files.filter((f) => !shared.has(f) && existsSync(f));
  assert.deepEqual(left, [], `left after purge: ${left.join(' ')}`);
  assert.ok(!existsSync('/var/lib/idgen'), '/var/lib/idgen removed by purge');
  assert.ok(!existsSync('/etc/idgen'), '/etc/idgen removed by purge');
  assert.ok(!(await userExists('idgen')), 'idgen user removed by purge');
  assert.ok(!(await groupExists('idgen')), 'idgen group removed by purge');
});
