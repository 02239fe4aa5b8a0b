// Copyright idgen authors.
//
// The README's "Try it" block, as written: each line run in order by one
// bash (background jobs kept, a pause after each `&` as a user would take)
// inside a network namespace this test makes, so the block's fixed ports
// (50051, 8080, 9464) meet nothing else. Every command must succeed and say
// what the README says it does. (The "Two commands" block is what CI runs;
// the preset block builds the sanitizer trees, which the test command's
// asan/tsan stages do.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { idgenBin, runProcess, tempDir } from './lib/harness.mjs';
import { blockOutput, blockScript } from './lib/readme_block.mjs';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

function tryItBlock() {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Try it'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README has a sh block under "Try it"');
  return m[1].split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

test('README: the "Try it" commands work as written', async (t) => {
  const lines = tryItBlock();
  assert.ok(lines.some((l) => /idgen next/.test(l)), 'the block uses the CLI client');
  assert.ok(!lines.some((l) => /grpcurl/.test(l)), 'no command needs grpcurl');
  // build/bin/idgen as the README says, pointing at the binary under test.
  const dir = tempDir(t, 'idgen-readme-');
  mkdirSync(path.join(dir, 'build', 'bin'), { recursive: true });
  symlinkSync(idgenBin(), path.join(dir, 'build', 'bin', 'idgen'));
  writeFileSync(path.join(dir, 'try-it.sh'), blockScript(lines, ['set -u', 'ip link set lo up']));
  const r = await runProcess('unshare', ['--net', 'bash', path.join(dir, 'try-it.sh')],
    { cwd: dir, timeoutMs: 120000 });
  const out = r.stdout;
  assert.equal(r.code, 0, `${out}\n${r.stderr}`);
  assert.match(out, /=== done/);
  const part = (re) => blockOutput(out, lines, re);
  assert.match(part(/next .*--count 3/), /^\d{15,20}\n\d{15,20}\n\d{15,20}$/);
  const uuids = JSON.parse(part(/--namespace uuidv7/));
  assert.equal(uuids.ids.length, 1);
  assert.match(uuids.ids[0], /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
  assert.match(part(/idgen info/), /worker id +\d+/);
  assert.match(part(/decode 1050118621198921728/), /2018-10-10T20:19:24.211Z/);
  const rest = JSON.parse(part(/curl -s/));
  assert.equal(rest.ids.length, 3);
});
