// Copyright idgen authors.
//
// An OTLP receiver for tests, independent of the C++ exporter: OTLP/gRPC
// (the three collector services, on @grpc/grpc-js) and OTLP/HTTP with
// protobuf bodies (POST /v1/traces, /v1/metrics, /v1/logs on node:http), with
// the messages decoded by protobufjs from tests/node/proto/otlp_test.proto.
//
// What arrives is flattened for assertions:
//   receiver.spans    [{ traceId, spanId, parentSpanId (hex, '' for none),
//                        name, kind, attributes: {k: v}, status, resource: {k: v} }]
//   receiver.metrics  [{ name, unit, description, kind: 'sum'|'gauge'|'histogram',
//                        monotonic, points: [{ attributes, value | count, sum,
//                        buckets, bounds }], resource }]
//   receiver.logs     [{ severityText, severityNumber, body, traceId, spanId, resource }]
//   receiver.requests [{ transport, signal, headers }]   (metadata / header fields)
// 64-bit integers arrive as decimal strings (longs: String).
//
// Usage: const r = await startOtlpReceiver(t, 'grpc' | 'http/protobuf');
//        r.endpoint  -> "http://127.0.0.1:PORT" for OTEL_EXPORTER_OTLP_ENDPOINT
// Over TLS: startOtlpReceiver(t, protocol, { tls: { cert, key, ca } })
// serves https:// with that certificate (PEM contents); with `ca` it
// requires client certificates from that CA. r.tlsErrors collects the
// handshakes it refused (or that clients refused).
// It is stopped after the test `t`.
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const PROTO = fileURLToPath(new URL('../proto/otlp_test.proto', import.meta.url));
const root = protobuf.loadSync(PROTO);
const T = (name) => root.lookupType(`otlptest.${name}`);
const TYPES = {
  traces: T('TraceRequest'),
  metrics: T('MetricsRequest'),
  logs: T('LogsRequest'),
};
const RESPONSE = T('ExportResponse');
const SERVICES = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};
const TO_OBJECT = { longs: String, bytes: String, defaults: true, arrays: true, oneofs: true };

const hex = (b64) => Buffer.from(b64 ?? '', 'base64').toString('hex');

function anyValue(v) {
  if (!v) return undefined;
  if (v.value === 'stringValue') return v.stringValue;
  if (v.value === 'boolValue') return v.boolValue;
  if (v.value === 'intValue') return Number(v.intValue);
  if (v.value === 'doubleValue') return v.doubleValue;
  return undefined;
}

function attrs(list) {
  const out = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

function numberValue(p) {
  // proto3 has no presence for these plain fields: as_int when set, else as_double.
  return p.asInt !== '0' ? Number(p.asInt) : p.asDouble;
}

export function flatten(signal, message, sink) {
  const obj = TYPES[signal].toObject(message, TO_OBJECT);
  if (signal === 'traces') {
    for (const rs of obj.resourceSpans) {
      const resource = attrs(rs.resource?.attributes);
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          sink.spans.push({
            traceId: hex(s.traceId),
            spanId: hex(s.spanId),
            parentSpanId: hex(s.parentSpanId),
            traceState: s.traceState,
            name: s.name,
            kind: s.kind,
            start: BigInt(s.startTimeUnixNano),
            end: BigInt(s.endTimeUnixNano),
            attributes: attrs(s.attributes),
            status: s.status ?? { code: 0, message: '' },
            scope: ss.scope?.name,
            resource,
          });
        }
      }
    }
  } else if (signal === 'metrics') {
    for (const rm of obj.resourceMetrics) {
      const resource = attrs(rm.resource?.attributes);
      for (const sm of rm.scopeMetrics) {
        for (const m of sm.metrics) {
          const base = { name: m.name, unit: m.unit, description: m.description, resource };
          if (m.sum) {
            sink.metrics.push({
              ...base,
              kind: 'sum',
              monotonic: m.sum.isMonotonic,
              temporality: m.sum.aggregationTemporality,
              points: m.sum.dataPoints.map((p) => ({
                attributes: attrs(p.attributes),
                value: numberValue(p),
              })),
            });
          } else if (m.gauge) {
            sink.metrics.push({
              ...base,
              kind: 'gauge',
              points: m.gauge.dataPoints.map((p) => ({
                attributes: attrs(p.attributes),
                value: numberValue(p),
              })),
            });
          } else if (m.histogram) {
            sink.metrics.push({
              ...base,
              kind: 'histogram',
              temporality: m.histogram.aggregationTemporality,
              points: m.histogram.dataPoints.map((p) => ({
                attributes: attrs(p.attributes),
                count: Number(p.count),
                sum: p.sum,
                buckets: p.bucketCounts.map(Number),
                bounds: p.explicitBounds,
              })),
            });
          }
        }
      }
    }
  } else {
    for (const rl of obj.resourceLogs) {
      const resource = attrs(rl.resource?.attributes);
      for (const sl of rl.scopeLogs) {
        for (const r of sl.logRecords) {
          sink.logs.push({
            severityText: r.severityText,
            severityNumber: r.severityNumber,
            body: anyValue(r.body),
            attributes: attrs(r.attributes),
            traceId: hex(r.traceId),
            spanId: hex(r.spanId),
            resource,
          });
        }
      }
    }
  }
}

function newSink() {
  return { spans: [], metrics: [], logs: [], requests: [], tlsErrors: [] };
}

async function startGrpc(sink, tls) {
  const server = new grpc.Server();
  for (const [signal, path] of Object.entries(SERVICES)) {
    const definition = {
      Export: {
        path,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m) => Buffer.from(TYPES[signal].encode(m).finish()),
        requestDeserialize: (buf) => TYPES[signal].decode(buf),
        responseSerialize: (m) => Buffer.from(RESPONSE.encode(m).finish()),
        responseDeserialize: (buf) => RESPONSE.decode(buf),
      },
    };
    server.addService(definition, {
      Export: (call, callback) => {
        try {
          sink.requests.push({ transport: 'grpc', signal, headers: call.metadata.getMap() });
          flatten(signal, call.request, sink);
          callback(null, RESPONSE.create({}));
        } catch (err) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: String(err) });
        }
      },
    });
  }
  const port = await new Promise((resolve, reject) => {
    const creds = tls
      ? grpc.ServerCredentials.createSsl(
          tls.ca ?? null,
          [{ private_key: tls.key, cert_chain: tls.cert }],
          Boolean(tls.ca),
        )
      : grpc.ServerCredentials.createInsecure();
    server.bindAsync('127.0.0.1:0', creds, (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}

async function startHttp(sink, tls) {
  const paths = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
  const handler = (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const signal = paths[req.url];
      if (req.method !== 'POST' || !signal) {
        res.writeHead(404).end();
        return;
      }
      if (req.headers['content-type'] !== 'application/x-protobuf') {
        res.writeHead(415).end();
        return;
      }
      try {
        sink.requests.push({ transport: 'http', signal, headers: req.headers });
        flatten(signal, TYPES[signal].decode(Buffer.concat(chunks)), sink);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end(Buffer.from(RESPONSE.encode(RESPONSE.create({})).finish()));
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  };
  const server = tls
    ? https.createServer(
        { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: Boolean(tls.ca), rejectUnauthorized: true },
        handler,
      )
    : http.createServer(handler);
  if (tls) server.on('tlsClientError', (err) => sink.tlsErrors.push(String(err.message ?? err)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// Starts a receiver for `protocol` ('grpc' or 'http/protobuf').
export async function startOtlpReceiver(t, protocol, { tls } = {}) {
  const sink = newSink();
  const impl = protocol === 'grpc' ? await startGrpc(sink, tls) : await startHttp(sink, tls);
  const receiver = {
    ...sink,
    protocol,
    port: impl.port,
    endpoint: `${tls ? 'https' : 'http'}://127.0.0.1:${impl.port}`,
    stop: impl.stop,
    // The latest value of a metric point matching `name` and attributes.
    latest(name, match = {}) {
      for (let i = sink.metrics.length - 1; i >= 0; i--) {
        const m = sink.metrics[i];
        if (m.name !== name) continue;
        const p = m.points.find((pt) =>
          Object.entries(match).every(([k, v]) => pt.attributes[k] === v),
        );
        if (p) return { metric: m, point: p };
      }
      return undefined;
    },
  };
  // The arrays are shared with the sink, so they fill as exports arrive.
  receiver.spans = sink.spans;
  receiver.metrics = sink.metrics;
  receiver.logs = sink.logs;
  receiver.requests = sink.requests;
  receiver.tlsErrors = sink.tlsErrors;
  if (t) t.after(() => impl.stop());
  return receiver;
}
