// Copyright idgen authors.
//
// The live /openapi.json of `idgen gateway`:
//   - passes `redocly lint` (recommended rules) with no errors;
//   - contract: every route the gateway serves is documented (probed with
//     every documented path and a set of undocumented ones), and every
//     documented operation answers with a documented status whose body has
//     the schema's required fields;
//   - client generation: openapi-typescript turns it into a .d.ts, a small
//     typed program using openapi-fetch type-checks with tsc --noEmit, and
//     openapi-fetch fetches and decodes IDs at runtime.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import createClient from 'openapi-fetch';

import { request, startGateway, startNodes } from './lib/gateway_harness.mjs';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('.', import.meta.url));
const BIN = path.join(HERE, 'node_modules', '.bin');

function tempDirFor(t, prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function liveDocument(t) {
  const [node] = await startNodes(t, 1);
  const gw = await startGateway(t, { backends: [node.address] });
  const res = await request(gw.port, 'GET', '/openapi.json');
  assert.equal(res.status, 200);
  return { gw, node, doc: res.json, text: res.body };
}

test('redocly lint: the live document has no errors', async (t) => {
  const { text } = await liveDocument(t);
  const dir = tempDirFor(t, 'idgen-openapi-');
  const file = path.join(dir, 'openapi.json');
  writeFileSync(file, text);
  let out;
  try {
    out = await run(path.join(BIN, 'redocly'), ['lint', '--format', 'json', file], {
      cwd: dir,
      timeout: 120000,
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    assert.fail(`redocly lint failed (exit ${err.code}):\n${err.stdout}\n${err.stderr}`);
  }
  const report = JSON.parse(out.stdout);
  const errors = report.problems.filter((p) => p.severity === 'error');
  assert.deepEqual(errors, [], 'no lint errors');
  assert.equal(report.totals.errors, 0);
});

// Resolves a local $ref ("#/components/...") in `doc`.
function deref(doc, obj) {
  let o = obj;
  for (let i = 0; i < 10 && o && o.$ref; i++) {
    o = o.$ref
      .slice(2)
      .split('/')
      .reduce((acc, key) => acc[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return o;
}

// The required fields of a schema (following $ref and allOf).
function requiredOf(doc, schema) {
  const s = deref(doc, schema);
  const out = new Set(s.required ?? []);
  for (const part of s.allOf ?? []) for (const r of requiredOf(doc, part)) out.add(r);
  return out;
}

// A concrete request for a documented operation.
function exampleRequest(pathTemplate, method, ids) {
  const p = pathTemplate
    .replace('{id}', ids.default)
    .replace('{file}', 'swagger-ui.css');
  const body = method === 'post' ? { namespace: 'default', count: 2 } : undefined;
  return { path: p, body };
}

test('contract: every documented operation answers as documented; undocumented routes are 404/405', async (t) => {
  const { gw, doc } = await liveDocument(t);
  const first = await request(gw.port, 'GET', '/v1/ids');
  const ids = { default: first.json.ids[0] };
  let checked = 0;
  for (const [pathTemplate, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const { path: p, body } = exampleRequest(pathTemplate, method, ids);
      const res = await request(gw.port, method.toUpperCase(), p, { body });
      const documented = op.responses[String(res.status)];
      assert.ok(documented, `${method} ${p}: status ${res.status} is not documented`);
      assert.equal(res.status, 200, `${method} ${p}: ${res.body}`);
      const media = Object.keys(documented.content ?? {});
      const type = (res.headers['content-type'] ?? '').split(';')[0];
      assert.ok(media.includes(type), `${method} ${p}: content type ${type} not in ${media}`);
      if (type === 'application/json') {
        for (const field of requiredOf(doc, documented.content[type].schema)) {
          assert.ok(field in res.json, `${method} ${p}: required field ${field} missing`);
        }
      }
      // Every documented operation documents the server's own errors too.
      for (const status of ['405', '431', '500']) {
        assert.ok(op.responses[status], `${method} ${pathTemplate} lacks ${status}`);
      }
      checked++;
    }
  }
  assert.ok(checked >= 9, `${checked} operations checked`);

  // Error answers are documented for the operations that produce them, and
  // their bodies carry the Problem schema's required fields.
  const problemRequired = requiredOf(doc, doc.components.schemas.Problem);
  const errorCases = [
    ['get', '/v1/ids', '/v1/ids?count=0', 400],
    ['get', '/v1/ids', '/v1/ids?count=100000', 429],
    ['post', '/v1/ids', '/v1/ids', 400, 'nope'],
    ['get', '/v1/ids/{id}/decode', '/v1/ids/zz/decode', 400],
    ['get', '/docs/{file}', '/docs/nope.js', 404],
  ];
  for (const [method, template, p, status, body] of errorCases) {
    const res = await request(gw.port, method.toUpperCase(), p, { body });
    assert.equal(res.status, status, `${method} ${p}: ${res.body}`);
    assert.ok(doc.paths[template][method].responses[String(status)], `${method} ${template} ${status}`);
    for (const field of problemRequired) assert.ok(field in res.json, `${p}: ${field}`);
  }

  // Routes the gateway does not document are not served.
  const documented = new Set(Object.keys(doc.paths));
  for (const p of ['/', '/v1', '/v1/ids/1', '/v1/ids/1/decode/x', '/info', '/docs/']) {
    assert.ok(!documented.has(p));
    const res = await request(gw.port, 'GET', p);
    assert.equal(res.status, 404, `GET ${p} is served but not documented`);
  }
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const method of ['delete', 'put', 'patch', 'post']) {
      if (item[method]) continue;
      const res = await request(gw.port, method.toUpperCase(), exampleRequest(p, method, ids).path);
      assert.equal(res.status, 405, `${method} ${p} is served but not documented`);
      assert.ok(res.headers.allow);
    }
  }
});

test('client generation: openapi-typescript + openapi-fetch fetch and decode IDs', async (t) => {
  const { gw } = await liveDocument(t);
  const dir = tempDirFor(t, 'idgen-client-');
  const dts = path.join(dir, 'idgen-api.d.ts');
  await run(path.join(BIN, 'openapi-typescript'), [`${gw.base}/openapi.json`, '-o', dts], {
    timeout: 120000,
  });
  const usage = path.join(dir, 'usage.ts');
  writeFileSync(
    usage,
    `import createClient from "openapi-fetch";
import type { paths, components } from "./idgen-api.js";

const client = createClient<paths>({ baseUrl: "${gw.base}" });

export async function main(): Promise<string> {
  const { data, error } = await client.GET("/v1/ids", {
    params: { query: { namespace: "default", count: 2, format: "hex" } },
  });
  if (error) throw new Error(error.detail);
  const ids: string[] = data.ids;
  const decoded = await client.GET("/v1/ids/{id}/decode", {
    params: { path: { id: ids[0] }, query: { format: "hex" } },
  });
  const ts: number | undefined = decoded.data?.timestamp_ms;
  const problem: components["schemas"]["Problem"] | undefined = decoded.error;
  return String(ts) + (problem?.title ?? "");
}
`,
  );
  // A deliberately wrong program must fail to type-check (the check is real).
  const wrong = path.join(dir, 'wrong.ts');
  writeFileSync(
    wrong,
    `import createClient from "openapi-fetch";
import type { paths } from "./idgen-api.js";
const client = createClient<paths>({ baseUrl: "${gw.base}" });
export async function main(): Promise<number> {
  const { data } = await client.GET("/v1/ids", { params: { query: { count: "two" } } });
  return data!.ids[0];
}
`,
  );
  // The temp project resolves openapi-fetch from tests/node/node_modules.
  symlinkSync(path.join(HERE, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  const tsconfig = (file) => {
    const name = path.join(dir, `tsconfig.${path.basename(file, '.ts')}.json`);
    writeFileSync(
      name,
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          skipLibCheck: true,
          lib: ['es2022', 'dom'],
          types: [],
        },
        files: [file],
      }),
    );
    return name;
  };
  const tsc = path.join(BIN, 'tsc');
  try {
    await run(tsc, ['-p', tsconfig(usage)], { cwd: dir, timeout: 120000 });
  } catch (err) {
    assert.fail(`tsc rejected the typed usage:\n${err.stdout}\n${err.stderr}`);
  }
  // A deliberately wrong program must fail to type-check (the check is real).
  await assert.rejects(
    run(tsc, ['-p', tsconfig(wrong)], { cwd: dir, timeout: 120000 }),
    (err) => /wrong\.ts.*error/s.test(String(err.stdout)),
    'tsc must reject a wrongly typed use of the generated client',
  );

  // At runtime: openapi-fetch against the live gateway.
  const client = createClient({ baseUrl: gw.base });
  const { data, error, response } = await client.GET('/v1/ids', {
    params: { query: { namespace: 'default', count: 3 } },
  });
  assert.equal(response.status, 200);
  assert.equal(error, undefined);
  assert.equal(data.ids.length, 3);
  const decoded = await client.GET('/v1/ids/{id}/decode', { params: { path: { id: data.ids[2] } } });
  assert.equal(decoded.response.status, 200);
  assert.ok(Math.abs(decoded.data.timestamp_ms - Date.now()) < 60000);
  const posted = await client.POST('/v1/ids', { body: { namespace: 'uuidv7', count: 2 } });
  assert.equal(posted.data.format, 'uuid');
  const bad = await client.GET('/v1/ids', { params: { query: { count: 0 } } });
  assert.equal(bad.response.status, 400);
  assert.equal(bad.error.type, 'urn:idgen:problem:invalid-parameter');
});
