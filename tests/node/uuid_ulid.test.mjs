// Copyright idgen authors.
//
// Cross-checks `idgen generate` against independent implementations: the npm
// `uuid` package (RFC 9562 validation, version) and the `ulid` package (timestamp
// decoding, validity). Run with `npm test` (node --test) after building idgen;
// IDGEN_BIN overrides the binary (default ../../build/bin/idgen from this file).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import test from 'node:test';

import { decodeTime, isValid as isValidUlid } from 'ulid';
import { validate as validateUuid, version as uuidVersion } from 'uuid';

const IDGEN_BIN =
  process.env.IDGEN_BIN || fileURLToPath(new URL('../../build/bin/idgen', import.meta.url));
const COUNT = 1000;

function idgenBin() {
  assert.ok(
    existsSync(IDGEN_BIN),
    `idgen binary not found at ${IDGEN_BIN}; build it first or set IDGEN_BIN`,
  );
  return IDGEN_BIN;
}

function generateJson(scheme) {
  const stdout = execFileSync(
    idgenBin(),
    ['generate', '--scheme', scheme, '--count', String(COUNT), '--json'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const doc = JSON.parse(stdout);
  assert.equal(doc.scheme, scheme);
  assert.ok(Array.isArray(doc.ids), 'ids must be an array');
  assert.equal(doc.ids.length, COUNT);
  for (const entry of doc.ids) {
    assert.equal(typeof entry.id, 'string');
    assert.ok(
      Number.isSafeInteger(entry.timestamp_ms),
      `bad timestamp_ms in ${JSON.stringify(entry)}`,
    );
  }
  return doc.ids;
}

function assertStrictlyIncreasingAndUnique(ids) {
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i - 1] < ids[i], `ids[${i - 1}]=${ids[i - 1]} is not < ids[${i}]=${ids[i]}`);
  }
  assert.equal(new Set(ids).size, ids.length, 'ids are not unique');
}

function assertTimestampsNearNow(entries) {
  // The binary ran just now on this machine's clock; allow generous slack.
  const now = Date.now();
  for (const { timestamp_ms } of entries) {
    assert.ok(
      Math.abs(now - timestamp_ms) < 5 * 60 * 1000,
      `timestamp_ms ${timestamp_ms} is far from now (${now})`,
    );
  }
}

test('uuidv7: valid RFC 9562 version 7, timestamps match, strictly increasing', () => {
  const entries = generateJson('uuidv7');
  for (const { id, timestamp_ms } of entries) {
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(validateUuid(id), true, `uuid.validate rejected ${id}`);
    assert.equal(uuidVersion(id), 7, `uuid.version(${id})`);
    // unix_ts_ms is the first 48 bits: the first 12 hex digits.
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), timestamp_ms, id);
  }
  assertTimestampsNearNow(entries);
  assertStrictlyIncreasingAndUnique(entries.map((e) => e.id));
});

test('ulid: valid, decodeTime equals timestamp_ms, strictly increasing', () => {
  const entries = generateJson('ulid');
  for (const { id, timestamp_ms } of entries) {
    assert.match(id, /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    assert.equal(isValidUlid(id), true, `ulid.isValid rejected ${id}`);
    assert.equal(decodeTime(id), timestamp_ms, id);
  }
  assertTimestampsNearNow(entries);
  assertStrictlyIncreasingAndUnique(entries.map((e) => e.id));
});

test('text output is one id per line', () => {
  const stdout = execFileSync(idgenBin(), ['generate', '--scheme', 'ulid', '--count', '5'], {
    encoding: 'utf8',
  });
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'output must end with a newline');
  assert.equal(lines.length, 5);
  for (const id of lines) assert.equal(isValidUlid(id), true, id);
});

test('count outside 1..1000000 exits 2 with a one-line error', () => {
  for (const count of ['0', '1000001']) {
    const r = spawnSync(idgenBin(), ['generate', '--scheme', 'uuidv7', '--count', count], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, `--count ${count}: exit ${r.status}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^idgen generate: --count must be between 1 and 1000000, got -?\d+\n$/);
  }
});
