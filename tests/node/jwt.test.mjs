// Copyright idgen authors.
//
// JWT bearer tokens, black-box: tokens are signed here with node:crypto
// (RS256 and ES256) and checked by one node (grpc-js) and one gateway
// (curl), both started with --jwt-jwks-file/--jwt-issuer/--jwt-audience.
// The gateway reaches the node with an API key of its own. Checked: an
// expired token, alg "none", HS256 keyed with the public key, a wrong
// audience and an unknown kid -> 401 error="invalid_token" /
// UNAUTHENTICATED; a missing scope -> 403 insufficient_scope /
// PERMISSION_DENIED; valid tokens -> 200 / OK; a new key in the JWKS file
// works after SIGHUP; no token reaches a log; a broken JWKS file or a JWT
// flag without the others exits 2 naming it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { assertGrpcError, grpc, grpcClients, runIdgen, runProcess, sleep, startNode, tempDir } from './lib/harness.mjs';
import { assertProblem, curlRequest, startGateway } from './lib/gateway_harness.mjs';

const ISSUER = 'https://id.example';
const AUDIENCE = 'idgen';
const ctx = {};
const cleanups = [];
const shared = { after: (fn) => cleanups.push(fn) };
const issued = []; // every token made, to grep the logs for

const b64 = (b) => Buffer.from(b).toString('base64url');

function jwt(header, claims, sign) {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
  const token = `${input}.${b64(sign(Buffer.from(input)))}`;
  issued.push(token);
  return token;
}
const rs256 = (key) => (data) => crypto.sign('sha256', data, key);
const es256 = (key) => (data) => crypto.sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'svc-a',
  exp: now() + 600,
  scope: 'ids:generate ids:decode info',
  ...extra,
});

function writeJwks(file, keys) {
  writeFileSync(`${file}.tmp`, JSON.stringify({ keys }));
  return runProcess('mv', [`${file}.tmp`, file]); // rename: never half a file
}

before(async () => {
  const dir = tempDir(shared, 'idgen-jwt-');
  ctx.rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  ctx.ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  ctx.jwksEntries = [
    { ...ctx.rsa.publicKey.export({ format: 'jwk' }), kid: 'r1', alg: 'RS256', use: 'sig' },
    { ...ctx.ec.publicKey.export({ format: 'jwk' }), kid: 'e1', alg: 'ES256' },
  ];
  ctx.jwks = path.join(dir, 'jwks.json');
  await writeJwks(ctx.jwks, ctx.jwksEntries);
  const jwtArgs = ['--jwt-jwks-file', ctx.jwks, '--jwt-issuer', ISSUER, '--jwt-audience', AUDIENCE];

  // The gateway's own key toward the node.
  const r = await runIdgen(['keys', 'new', '--name', 'gateway', '--scopes', 'ids:generate,ids:decode,info']);
  assert.equal(r.code, 0, r.stderr);
  const [gwKey, ...entry] = r.stdout.split('\n');
  ctx.gwKey = gwKey;
  const keyFile = path.join(dir, 'keys.json');
  writeFileSync(keyFile, JSON.stringify({ keys: [JSON.parse(entry.join('\n'))] }));
  const gwKeyFile = path.join(dir, 'gateway.key');
  writeFileSync(gwKeyFile, `${gwKey}\n`);

  ctx.node = await startNode(shared, {
    stateDir: path.join(dir, 'state'),
    workerId: 1,
    args: ['--auth-keys', keyFile, ...jwtArgs],
  });
  ctx.gw = await startGateway(shared, {
    backends: [ctx.node.address],
    args: [...jwtArgs, '--backend-api-key-file', gwKeyFile],
  });
  ctx.grpc = grpcClients(null, ctx.node.address);

  ctx.tokens = {
    valid: jwt({ alg: 'RS256', kid: 'r1', typ: 'JWT' }, claims(), rs256(ctx.rsa.privateKey)),
    validEs: jwt({ alg: 'ES256', kid: 'e1' }, claims({ aud: ['other', AUDIENCE] }), es256(ctx.ec.privateKey)),
    expired: jwt({ alg: 'RS256', kid: 'r1' }, claims({ exp: now() - 120 }), rs256(ctx.rsa.privateKey)),
    none: `${b64('{"alg":"none","typ":"JWT"}')}.${b64(JSON.stringify(claims()))}.`,
    hs256: jwt({ alg: 'HS256', kid: 'r1' }, claims(), (data) =>
      crypto.createHmac('sha256', ctx.rsa.publicKey.export({ format: 'pem', type: 'spki' })).update(data).digest(),
    ),
    wrongAudience: jwt({ alg: 'ES256', kid: 'e1' }, claims({ aud: 'someone-else' }), es256(ctx.ec.privateKey)),
    unknownKid: jwt({ alg: 'RS256', kid: 'zz' }, claims(), rs256(ctx.rsa.privateKey)),
    infoOnly: jwt({ alg: 'ES256', kid: 'e1' }, claims({ scope: 'info' }), es256(ctx.ec.privateKey)),
    ordersOnly: jwt({ alg: 'ES256', kid: 'e1' }, claims({ namespaces: ['orders'] }), es256(ctx.ec.privateKey)),
  };
});

after(async () => {
  ctx.grpc?.close();
  for (const fn of cleanups.reverse()) await fn();
});

// curl, the independent HTTP client, against the shared gateway.
const curl = (urlPath, token) => curlRequest(`${ctx.gw.base}${urlPath}`, { key: token });

function call(method, request, token) {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    ctx.grpc.idgen[method](request, md, { deadline: new Date(Date.now() + 5000) }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

const REFUSED = [
  ['expired', /expired/],
  ['none', /alg none is not accepted/],
  ['hs256', /alg HS256 is not accepted/],
  ['wrongAudience', /aud does not name the configured audience/],
  ['unknownKid', /kid/],
];

test('REST: refused tokens get 401 invalid_token, a missing scope 403, valid tokens 200', async () => {
  for (const [name, why] of REFUSED) {
    const res = await curl('/v1/ids?count=1', ctx.tokens[name]);
    assertProblem(res, 401, 'unauthenticated', why);
    assert.match(res.headers['www-authenticate'], /^Bearer realm="idgen", error="invalid_token"/, name);
  }
  const scope = await curl('/v1/ids?count=1', ctx.tokens.infoOnly);
  assertProblem(scope, 403, 'insufficient-scope', /"jwt:svc-a" lacks the scope "ids:generate"/);
  assert.match(scope.headers['www-authenticate'], /error="insufficient_scope"/);
  const ns = await curl('/v1/ids?count=1&namespace=billing', ctx.tokens.ordersOnly);
  assertProblem(ns, 403, 'insufficient-scope', /namespace "billing"/);

  for (const name of ['valid', 'validEs']) {
    const ok = await curl('/v1/ids?count=2', ctx.tokens[name]);
    assert.equal(ok.status, 200, `${name}: ${ok.body}`);
    assert.equal(ok.json.ids.length, 2);
  }
  assert.equal((await curl('/v1/info', ctx.tokens.infoOnly)).status, 200);
});

test('gRPC: refused tokens get UNAUTHENTICATED, a missing scope PERMISSION_DENIED, valid tokens OK', async () => {
  for (const [name, why] of REFUSED) {
    await assertGrpcError(call('NextId', {}, ctx.tokens[name]), grpc.status.UNAUTHENTICATED, why);
  }
  await assertGrpcError(call('NextId', {}, ctx.tokens.infoOnly), grpc.status.PERMISSION_DENIED, /"ids:generate"/);
  for (const name of ['valid', 'validEs']) {
    const id = await call('NextId', {}, ctx.tokens[name]);
    assert.ok(BigInt(id.id) > 0n, name);
  }
  assert.ok((await call('GetInfo', {}, ctx.tokens.infoOnly)) !== undefined);
});

test('--jwt-ids-per-second: each subject its own bucket; over it RESOURCE_EXHAUSTED naming the subject', async (t) => {
  const node = await startNode(t, {
    stateDir: tempDir(t),
    args: ['--jwt-jwks-file', ctx.jwks, '--jwt-issuer', ISSUER, '--jwt-audience', AUDIENCE,
      '--jwt-ids-per-second', '1', '--jwt-burst', '5'],
  });
  const { idgen } = grpcClients(t, node.address);
  const as = (sub) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${jwt({ alg: 'ES256', kid: 'e1' }, claims({ sub }), es256(ctx.ec.privateKey))}`);
    return md;
  };
  const q = as('svc-q');
  const take = (md, count) => new Promise((resolve, reject) =>
    idgen.NextIds({ count }, md, { deadline: Date.now() + 3000 }, (e, r) => (e ? reject(e) : resolve(r))));
  assert.equal((await take(q, 5)).ids.length, 5, 'the burst');
  await assert.rejects(take(q, 1), (err) => {
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /caller "jwt:svc-q" is over its quota of 1 IDs\/s/);
    return true;
  });
  assert.equal((await take(as('svc-r'), 5)).ids.length, 5, 'another subject has its own bucket');

  const bad = [
    [['--jwt-burst', '5'], /--jwt-burst needs --jwt-ids-per-second/],
    [['--jwt-ids-per-second', '5'], /--jwt-ids-per-second needs --jwt-jwks-file/],
    [['--jwt-ids-per-second', '-1'], /--jwt-ids-per-second/],
  ];
  for (const [args, message] of bad) {
    const r = await runIdgen(['serve', '--state-dir', tempDir(t), ...args]);
    assert.equal(r.code, 2, `${args}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

test('a key added to the JWKS file works after SIGHUP; a broken file keeps the keys', async () => {
  const added = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const token = jwt({ alg: 'ES256', kid: 'e2' }, claims(), es256(added.privateKey));
  await assertGrpcError(call('NextId', {}, token), grpc.status.UNAUTHENTICATED, /kid/);
  await writeJwks(ctx.jwks, [...ctx.jwksEntries, { ...added.publicKey.export({ format: 'jwk' }), kid: 'e2' }]);
  process.kill(ctx.node.pid, 'SIGHUP');
  let ok = false;
  for (let i = 0; i < 50 && !ok; i++) {
    ok = await call('NextId', {}, token).then(() => true, () => false);
    if (!ok) await sleep(100);
  }
  assert.ok(ok, 'the new key was not taken');

  writeFileSync(ctx.jwks, '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}');
  process.kill(ctx.node.pid, 'SIGHUP');
  for (let i = 0; i < 50 && !/JWKS reload failed/.test(ctx.node.stderr); i++) await sleep(100);
  assert.match(ctx.node.stderr, /JWKS reload failed: JWKS file .*jwks\.json: keys\[0\]: holds private key material/);
  assert.ok(BigInt((await call('NextId', {}, token)).id) > 0n);
});

test('no token reaches a log', async () => {
  const logs = ctx.node.stderr + ctx.node.stdout + ctx.gw.stderr;
  assert.ok(logs.length > 0);
  for (const token of issued) {
    const signature = token.slice(token.lastIndexOf('.') + 1);
    if (signature.length > 0) assert.ok(!logs.includes(signature), 'a token signature appears in a log');
    assert.ok(!logs.includes(token.slice(0, token.lastIndexOf('.'))), 'a token appears in a log');
  }
  assert.ok(!logs.includes(ctx.gwKey));
});

test('a broken JWKS file or a JWT flag without the others exits 2 naming it', async (t) => {
  const dir = tempDir(t, 'idgen-jwt-bad-');
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA' }] }));
  const serve = await runIdgen([
    'serve', '--listen', '127.0.0.1:0', '--state-dir', dir,
    '--jwt-jwks-file', bad, '--jwt-issuer', ISSUER, '--jwt-audience', AUDIENCE,
  ]);
  assert.equal(serve.code, 2, serve.stderr);
  assert.match(serve.stderr, /--jwt-jwks-file: JWKS file .*bad\.json: keys\[0\]\.crv: unsupported curve/);
  const gw = await runIdgen(['gateway', '--listen', '127.0.0.1:0', '--backends', '127.0.0.1:1', '--jwt-issuer', ISSUER]);
  assert.equal(gw.code, 2, gw.stderr);
  assert.match(gw.stderr, /--jwt-jwks-file is missing/);
  const env = await runIdgen(['gateway', '--listen', '127.0.0.1:0', '--backends', '127.0.0.1:1'], {
    env: { IDGEN_JWT_JWKS_FILE: bad, IDGEN_JWT_ISSUER: ISSUER, IDGEN_JWT_AUDIENCE: AUDIENCE },
  });
  assert.equal(env.code, 2, env.stderr);
  assert.match(env.stderr, /unsupported curve/);
});
