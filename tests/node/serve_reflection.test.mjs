// Copyright idgen authors.
//
// Black-box test of gRPC server reflection on `idgen serve`, through an
// independent client (the npm package grpc-js-reflection-client, protocol
// grpc.reflection.v1alpha) and no .proto files of ours:
//   - list_services names idgen.v1.IdGenerator, grpc.health.v1.Health and the
//     reflection service itself;
//   - the descriptor of idgen.v1.IdGenerator, fetched by symbol with its
//     dependencies, is enough to build a client that makes a real NextIds call;
//   - the same file comes back by file name;
//   - an unknown symbol and an unknown file are errors.
// Run: IDGEN_BIN=/path/to/idgen node --test serve_reflection.test.mjs
import assert from 'node:assert/strict';
import test from 'node:test';

import { GrpcReflection, ReflectionRequestException } from 'grpc-js-reflection-client';

import {
  assertStrictlyIncreasing,
  grpc,
  startNode,
  tempDir,
  toBig,
  unary,
  withTimeout,
} from './lib/harness.mjs';

const REFLECTION_SERVICE = 'grpc.reflection.v1alpha.ServerReflection';
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true };

// A reflection client for `address`; its channel is closed after `t`.
function reflectionClient(t, address) {
  const reflection = new GrpcReflection(address, grpc.credentials.createInsecure());
  // The package keeps its grpc-js client in a field and has no close().
  t.after(() => reflection.client.close());
  return reflection;
}

test('reflection: lists the services and describes IdGenerator well enough to call NextIds', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const reflection = reflectionClient(t, node.address);

  const services = await withTimeout(reflection.listServices(), 5000, 'list_services');
  for (const name of ['idgen.v1.IdGenerator', 'grpc.health.v1.Health', REFLECTION_SERVICE]) {
    assert.ok(services.includes(name), `${name} missing from list_services: ${services}`);
  }

  const descriptor = await withTimeout(
    reflection.getDescriptorBySymbol('idgen.v1.IdGenerator'),
    5000,
    'file_containing_symbol idgen.v1.IdGenerator',
  );
  const pkg = descriptor.getPackageObject(LOADER_OPTIONS);
  const IdGenerator = pkg.idgen?.v1?.IdGenerator;
  assert.equal(typeof IdGenerator, 'function', 'no idgen.v1.IdGenerator in the reflected package');
  for (const method of ['NextIds', 'NextId', 'StreamIds', 'Decode', 'GetInfo']) {
    assert.ok(method in IdGenerator.service, `method ${method} missing from the reflected service`);
  }

  const idgen = new IdGenerator(node.address, grpc.credentials.createInsecure());
  t.after(() => idgen.close());
  const res = await unary(idgen, 'NextIds', { namespace: 'default', count: 5 });
  assert.equal(res.namespace, 'default');
  assert.equal(res.scheme, 'snowflake');
  assert.equal(res.ids.length, 5);
  for (const id of res.ids) assert.match(id, /^[0-9]+$/, `id ${id} is not a decimal string`);
  assertStrictlyIncreasing(toBig(res.ids), 'NextIds through the reflected client');

  // The method's own symbol resolves to the same service.
  const byMethod = await withTimeout(
    reflection.getDescriptorBySymbol('idgen.v1.IdGenerator.NextIds'),
    5000,
    'file_containing_symbol idgen.v1.IdGenerator.NextIds',
  );
  assert.equal(typeof byMethod.getPackageObject(LOADER_OPTIONS).idgen?.v1?.IdGenerator, 'function');
});

test('reflection: the file comes back by name; unknown symbols and files are errors', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const reflection = reflectionClient(t, node.address);

  const byName = await withTimeout(
    reflection.getDescriptorByFileName('idgen/v1/idgen.proto'),
    5000,
    'file_by_filename idgen/v1/idgen.proto',
  );
  const root = byName.getProtobufJsRoot();
  assert.ok(
    root.lookupService('idgen.v1.IdGenerator'),
    'IdGenerator missing from idgen/v1/idgen.proto',
  );
  assert.ok(root.lookupType('idgen.v1.NextIdsRequest'), 'NextIdsRequest missing');

  await assert.rejects(
    withTimeout(reflection.getDescriptorBySymbol('idgen.v1.NoSuchService'), 5000, 'unknown symbol'),
    (err) => {
      assert.ok(err instanceof ReflectionRequestException, `not a reflection error: ${err}`);
      assert.match(err.message, /not found/i);
      return true;
    },
  );
  await assert.rejects(
    withTimeout(reflection.getDescriptorByFileName('idgen/v1/nope.proto'), 5000, 'unknown file'),
    (err) => {
      assert.ok(err instanceof ReflectionRequestException, `not a reflection error: ${err}`);
      assert.match(err.message, /not found/i);
      return true;
    },
  );

  // The node still answers after the errors.
  const services = await withTimeout(reflection.listServices(), 5000, 'list_services');
  assert.ok(services.includes(REFLECTION_SERVICE));
});
