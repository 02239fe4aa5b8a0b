// Copyright idgen authors.
//
// One REST request, one trace: the gateway's SERVER span, its CLIENT span
// for the call to a node, and the node's SERVER span, exported by both
// processes to an independent OTLP receiver (over both protocols), with one
// trace id and the right parent links. The caller's traceparent is honoured.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { startNode, tempDir, waitUntil } from './lib/harness.mjs';
import { request, startGateway } from './lib/gateway_harness.mjs';
import { startOtlpReceiver } from './lib/otlp_receiver.mjs';

const env = (receiver, service) => ({
  OTEL_SERVICE_NAME: service,
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: receiver.protocol,
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_METRIC_EXPORT_INTERVAL: '200',
});

const show = (x) => JSON.stringify(x, (k, v) => (typeof v === 'bigint' ? String(v) : v), 1);

for (const protocol of ['grpc', 'http/protobuf']) {
  test(`gateway -> node is one trace of three spans (OTLP ${protocol})`, async (t) => {
    const receiver = await startOtlpReceiver(t, protocol);
    const node = await startNode(t, { stateDir: tempDir(t), env: env(receiver, 'idgen-node') });
    const gw = await startGateway(t, { backends: [node.address], env: env(receiver, 'idgen-gateway') });

    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const res = await request(gw.port, 'GET', '/v1/ids?count=3', {
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    assert.equal(res.status, 200, res.body);

    const spans = await waitUntil(() => {
      const mine = receiver.spans.filter((s) => s.traceId === traceId);
      return mine.length >= 3 ? mine : undefined;
    }, { what: 'three spans of the trace' }).catch((err) => {
      throw new Error(`${err.message}; spans: ${show(receiver.spans.map((s) => [s.traceId, s.name, s.kind, s.resource['service.name']]))}`);
    });
    const server = spans.find((s) => s.resource['service.name'] === 'idgen-gateway' && s.kind === 2 /* SERVER */);
    const client = spans.find((s) => s.resource['service.name'] === 'idgen-gateway' && s.kind === 3 /* CLIENT */);
    const nodeSpan = spans.find((s) => s.resource['service.name'] === 'idgen-node');
    assert.ok(server && client && nodeSpan, show(spans));
    assert.equal(server.name, 'GET /v1/ids');
    assert.equal(server.parentSpanId, callerSpan);
    assert.equal(server.attributes['http.route'], '/v1/ids');
    assert.equal(String(server.attributes['http.response.status_code']), '200');
    assert.equal(client.name, 'idgen.v1.IdGenerator/NextIds');
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(nodeSpan.name, 'idgen.v1.IdGenerator/NextIds');
    assert.equal(nodeSpan.parentSpanId, client.spanId);
    assert.equal(spans.length, 3, 'no other span in the trace');

    // The gateway's /metrics has its HTTP server durations.
    const metrics = await request(gw.port, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /http_server_request_duration_seconds_count\{[^}]*http_route="\/v1\/ids"/);
    // The breaker's view of each backend: serving (in the rotation) or not.
    const gauge = (body) => {
      const m = /^idgen_gateway_backend_serving\{[^}]*idgen_backend="([^"]+)"[^}]*\} (\d)/m.exec(body);
      return m && { backend: m[1], value: Number(m[2]) };
    };
    await waitUntil(async () => gauge((await request(gw.port, 'GET', '/metrics')).body)?.value === 1, {
      what: 'backend serving gauge 1',
    });
    await node.kill9();
    await waitUntil(async () => gauge((await request(gw.port, 'GET', '/metrics')).body)?.value === 0, {
      what: 'backend serving gauge 0 after the node died',
    });
  });
}
