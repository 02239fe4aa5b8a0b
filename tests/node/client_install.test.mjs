// Copyright idgen authors.
//
// The installed client library as an application meets it: `cmake
// --install` of this build into a temp prefix, then two consumers built
// outside the tree against that prefix only: examples/cpp with CMake's
// find_package(idgen), and tests/client_consumer with pkg-config. Both run
// against a live node. Also: the headers name no gRPC or protobuf type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { idgenBin, runProcess, startNode, tempDir } from './lib/harness.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('cmake --install, then find_package(idgen) and pkg-config consumers against a live node', async (t) => {
  const build = path.dirname(path.dirname(idgenBin()));
  const dir = tempDir(t, 'idgen-client-install-');
  const prefix = path.join(dir, 'prefix');
  const install = await runProcess('cmake', ['--install', build, '--prefix', prefix], { timeoutMs: 120000 });
  assert.equal(install.code, 0, install.stdout + install.stderr);

  const libdir = ['lib', 'lib64', 'lib/x86_64-linux-gnu'].map((d) => path.join(prefix, d))
    .find((d) => existsSync(path.join(d, 'pkgconfig', 'idgen-client.pc')));
  assert.ok(libdir, 'idgen-client.pc installed');
  assert.ok(existsSync(path.join(libdir, 'cmake', 'idgen', 'idgenConfig.cmake')));
  assert.ok(existsSync(path.join(prefix, 'bin', 'idgen')));
  const headers = path.join(prefix, 'include', 'idgen', 'client');
  for (const h of readdirSync(headers).filter((f) => f.endsWith('.h'))) {
    assert.doesNotMatch(readFileSync(path.join(headers, h), 'utf8'), /grpcpp|\.pb\.h|absl\//, h);
  }

  const node = await startNode(t, { stateDir: path.join(dir, 'state') });

  // CMake: the example order service, configured against the prefix only.
  const exampleBuild = path.join(dir, 'example-build');
  const configure = await runProcess('cmake', ['-S', path.join(ROOT, 'examples', 'cpp'), '-B', exampleBuild,
    '-G', 'Ninja', `-DCMAKE_PREFIX_PATH=${prefix}`], { timeoutMs: 120000 });
  assert.equal(configure.code, 0, configure.stdout + configure.stderr);
  const built = await runProcess('cmake', ['--build', exampleBuild], { timeoutMs: 300000 });
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const orders = await runProcess(path.join(exampleBuild, 'order_service'), [node.address, '5000', '4'],
    { timeoutMs: 30000 });
  assert.equal(orders.code, 0, orders.stderr);
  assert.match(orders.stdout, /^placed 5000 orders with unique numbers from 4 threads; (\d+) refills$/m);
  assert.ok(Number(/(\d+) refills/.exec(orders.stdout)[1]) <= 9, orders.stdout);

  // pkg-config: one compiler line.
  const env = { ...process.env, PKG_CONFIG_PATH: path.join(libdir, 'pkgconfig') };
  const flags = await runProcess('pkg-config', ['--cflags', '--libs', 'idgen-client'], { env });
  assert.equal(flags.code, 0, flags.stderr);
  assert.match(flags.stdout, /-lidgen_client/);
  const exe = path.join(dir, 'next_id');
  const cc = await runProcess('c++', ['-std=c++20', path.join(ROOT, 'tests', 'client_consumer', 'next_id.cc'),
    '-o', exe, ...flags.stdout.trim().split(/\s+/), `-Wl,-rpath,${libdir}`], { timeoutMs: 300000 });
  assert.equal(cc.code, 0, cc.stderr);
  const one = await runProcess(exe, [node.address], { timeoutMs: 10000 });
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /^\d{15,20}\n$/);
});
