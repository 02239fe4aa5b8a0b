// Copyright idgen authors.
//
// OTLP export of a live `idgen serve`, received by an independent receiver
// (lib/otlp_receiver.mjs), over OTLP/gRPC and over OTLP/HTTP protobuf:
//   - a gRPC call carrying a W3C traceparent yields a SERVER span in that
//     trace whose parent is the caller's span, named and attributed per the
//     semantic conventions (v1.24); an admin request gets an HTTP span;
//     /health (polled by the harness) gets none;
//   - service name, resource attributes and OTEL_EXPORTER_OTLP_HEADERS
//     arrive;
//   - metrics: idgen.ids.issued equals the IDs the test took, units right,
//     rpc.server.duration counts the calls;
//   - the start-up log line arrives as an OTLP log record;
//   - a bad OTEL_* value is reported once on stderr and the default used.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import test from 'node:test';

import {
  grpc,
  grpcClients,
  httpGet,
  startNode,
  stopNode,
  tempDir,
  unary,
  waitUntil,
} from './lib/harness.mjs';
import { startOtlpReceiver } from './lib/otlp_receiver.mjs';

function otelEnv(receiver, extra = {}) {
  return {
    OTEL_SERVICE_NAME: 'idgen-otlp-test',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test,idgen.test.run=otlp%20export',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: receiver.protocol,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-idgen-token=s3cret',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    ...extra,
  };
}

function unaryWithMetadata(client, method, request, metadata) {
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline: new Date(Date.now() + 5000) }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

for (const protocol of ['grpc', 'http/protobuf']) {
  test(`OTLP over ${protocol}: traces, metrics and logs of a node`, async (t) => {
    const receiver = await startOtlpReceiver(t, protocol);
    const node = await startNode(t, { stateDir: tempDir(t), env: otelEnv(receiver) });
    const { idgen } = grpcClients(t, node.address);

    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const md = new grpc.Metadata();
    md.set('traceparent', `00-${traceId}-${parentSpanId}-01`);
    md.set('tracestate', 'idgen=test');
    const res = await unaryWithMetadata(idgen, 'NextIds', { namespace: 'default', count: 5 }, md);
    assert.equal(res.ids.length, 5);
    await unary(idgen, 'NextId', { namespace: 'default' });
    await unary(idgen, 'NextIds', { namespace: 'default', count: 994 });
    const issued = 5 + 1 + 994;
    const info = await httpGet(node.adminPort, '/info');
    assert.equal(info.status, 200);

    // Traces.
    const server = await waitUntil(
      () => receiver.spans.find((s) => s.traceId === traceId),
      { what: `server span of trace ${traceId} (stderr: ${node.stderr})` },
    );
    assert.equal(server.name, 'idgen.v1.IdGenerator/NextIds');
    assert.equal(server.kind, 2, 'SPAN_KIND_SERVER');
    assert.equal(server.parentSpanId, parentSpanId);
    assert.notEqual(server.spanId, parentSpanId);
    assert.match(server.spanId, /^[0-9a-f]{16}$/);
    assert.equal(server.traceState, 'idgen=test');
    assert.deepEqual(server.attributes, {
      'rpc.system': 'grpc',
      'rpc.service': 'idgen.v1.IdGenerator',
      'rpc.method': 'NextIds',
      'rpc.grpc.status_code': 0,
    });
    assert.ok(server.end >= server.start, 'span ends after it starts');
    assert.equal(server.resource['service.name'], 'idgen-otlp-test');
    assert.equal(server.resource['deployment.environment'], 'test');
    assert.equal(server.resource['idgen.test.run'], 'otlp export');
    assert.equal(server.resource['telemetry.sdk.language'], 'cpp');
    assert.equal(server.scope, 'idgen');

    // The untraced NextId started its own trace (a root span).
    const root = await waitUntil(() =>
      receiver.spans.find((s) => s.name === 'idgen.v1.IdGenerator/NextId'),
    );
    assert.equal(root.parentSpanId, '');
    assert.notEqual(root.traceId, traceId);

    const admin = await waitUntil(() => receiver.spans.find((s) => s.name === 'GET /info'));
    assert.equal(admin.kind, 2);
    assert.equal(admin.attributes['http.route'], '/info');
    assert.equal(admin.attributes['http.response.status_code'], 200);
    assert.equal(
      receiver.spans.find((s) => / \/(health|alive|metrics)$/.test(s.name)),
      undefined,
      'health/alive/metrics must stay out of traces',
    );

    // Metrics (cumulative; wait for an export that saw every call: IDs are
    // counted in the handler, a call's duration once its status is sent, so
    // one export may fall between the two).
    const ids = await waitUntil(
      () => {
        const m = receiver.latest('idgen.ids.issued', { 'idgen.namespace': 'default' });
        const d = receiver.latest('rpc.server.duration', { 'rpc.method': 'NextIds' });
        // The admin request's duration is recorded once its answer is
        // written, which a loaded host may do after an export went out.
        const h = receiver.latest('http.server.request.duration', { 'http.route': '/info' });
        return m && m.point.value === issued && d && d.point.count === 2 && h ? m : undefined;
      },
      { what: `idgen.ids.issued == ${issued}, two NextIds durations and the /info duration` },
    );
    assert.equal(ids.metric.kind, 'sum');
    assert.equal(ids.metric.monotonic, true);
    assert.equal(ids.metric.temporality, 2, 'cumulative');
    assert.equal(ids.metric.unit, '{id}');
    assert.equal(ids.point.attributes['idgen.scheme'], 'snowflake');
    assert.equal(ids.metric.resource['service.name'], 'idgen-otlp-test');

    const rpc = receiver.latest('rpc.server.duration', { 'rpc.method': 'NextIds' });
    assert.ok(rpc, 'rpc.server.duration exported');
    assert.equal(rpc.metric.kind, 'histogram');
    assert.equal(rpc.metric.unit, 'ms');
    assert.equal(rpc.point.count, 2);
    assert.equal(rpc.point.attributes['rpc.grpc.status_code'], 0);
    assert.equal(
      rpc.point.buckets.reduce((a, b) => a + b, 0),
      rpc.point.count,
      'bucket counts add up to the count',
    );
    const batch = receiver.latest('idgen.batch.size', { 'idgen.namespace': 'default' });
    assert.equal(batch.point.count, 3);
    assert.equal(batch.point.sum, issued);
    const headroom = receiver.latest('idgen.reservation.headroom');
    assert.equal(headroom.metric.kind, 'gauge');
    assert.equal(headroom.metric.unit, 'ms');
    assert.ok(headroom.point.value > 0, `headroom ${headroom.point.value}`);
    const http = receiver.latest('http.server.request.duration', { 'http.route': '/info' });
    assert.equal(http.metric.unit, 's');

    // Logs: the start-up line, as a record.
    const started = await waitUntil(() =>
      receiver.logs.find((l) => /gRPC on port \d+/.test(l.body ?? '')),
    );
    assert.equal(started.severityText, 'info');
    assert.equal(started.severityNumber, 9);
    assert.equal(started.resource['service.name'], 'idgen-otlp-test');
    assert.equal(started.attributes['grpc.port'], node.grpcPort);

    // Headers from OTEL_EXPORTER_OTLP_HEADERS on every export.
    for (const signal of ['traces', 'metrics', 'logs']) {
      const req = receiver.requests.find((r) => r.signal === signal);
      assert.ok(req, `no ${signal} export`);
      assert.equal(req.headers['x-idgen-token'], 's3cret', `${signal} headers`);
    }

    // The shutdown lines are flushed before the process exits.
    await stopNode(node);
    assert.ok(receiver.logs.some((l) => /stopped, worker id released/.test(l.body ?? '')));
  });
}

// A collector that accepts connections and never answers.
async function hangingCollector(t) {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${server.address().port}`;
}

test('a hanging collector: requests do not wait, spans are dropped and counted', async (t) => {
  const endpoint = await hangingCollector(t);
  const node = await startNode(t, {
    stateDir: tempDir(t),
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      OTEL_BSP_SCHEDULE_DELAY: '10',
      OTEL_BSP_MAX_QUEUE_SIZE: '16',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
  });
  const { idgen } = grpcClients(t, node.address);
  const calls = 500;
  const started = Date.now();
  for (let i = 0; i < calls; i++) await unary(idgen, 'NextId', { namespace: 'default' });
  const elapsed = Date.now() - started;
  // One export hangs for 5 s; if calls waited on it, 500 calls would take
  // far longer than this bound.
  assert.ok(elapsed < 4000, `${calls} calls took ${elapsed} ms`);
  const metrics = (await httpGet(node.adminPort, '/metrics')).body;
  const dropped = Number(/^idgen_telemetry_dropped_total\{signal="traces"\} (\d+)$/m.exec(metrics)?.[1]);
  // At most the queue (16) and the batch in the hung export (4) are held.
  assert.ok(dropped >= calls - 16 - 4, `dropped ${dropped} of ${calls}: ${metrics}`);
  assert.equal((await node.health()).status, 200);
});

test('a bad OTEL_* value is reported once and the default is used', async (t) => {
  const node = await startNode(t, {
    stateDir: tempDir(t),
    env: { OTEL_BSP_SCHEDULE_DELAY: 'soon', OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' },
  });
  const lines = node.stderr.split('\n').filter((l) => l.includes('OTEL_'));
  assert.equal(lines.length, 2, node.stderr);
  const warnings = lines.map((l) => JSON.parse(l));
  assert.equal(warnings[0].level, 'warn');
  assert.match(warnings[0].message, /OTEL_BSP_SCHEDULE_DELAY="soon".*using 5000/);
  assert.match(warnings[1].message, /OTEL_EXPORTER_OTLP_PROTOCOL="carrier-pigeon"/);
  assert.equal((await node.health()).status, 200);
});

test('IDGEN_LOG_FORMAT=text gives text lines', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t), env: { IDGEN_LOG_FORMAT: 'text' } });
  assert.match(node.stderr, /^\S+Z INFO idgen-serve idgen serve: worker \d+, gRPC on port/m);
});
