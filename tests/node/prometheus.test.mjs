// Copyright idgen authors.
//
// /metrics of a live `idgen serve` against the real Prometheus tools:
//   - Debian's `promtool check metrics` accepts the exposition (format and
//     Prometheus naming lint);
//   - Debian's Prometheus 2.42, started on a free loopback port with a
//     temporary config and storage directory, scrapes the node; a PromQL
//     query through its HTTP API returns idgen_ids_issued_total with exactly
//     the number of IDs this test took;
//   - `promtool check rules` / `check config` accept the alert rules and the
//     scrape config that docs/OBSERVABILITY.md publishes, and the doc embeds
//     them verbatim.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  freePort,
  grpcClients,
  httpGet,
  startNode,
  tempDir,
  unary,
  waitUntil,
  withTimeout,
} from './lib/harness.mjs';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const RULES = path.join(DOCS, 'observability', 'alerts.yml');
const SCRAPE = path.join(DOCS, 'observability', 'prometheus.yml');

// Runs a command to completion (killed after timeoutMs); stdin optional.
function run(cmd, args, { input, timeoutMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

// Starts Prometheus scraping `targets` every second; stopped (by pid) after t.
async function startPrometheus(t, targets) {
  const dir = tempDir(t, 'idgen-prom-');
  const port = await freePort();
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: idgen',
      '    static_configs:',
      `      - targets: [${targets.map((x) => `"${x}"`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c) => {
    stderr = (stderr + c).slice(-8192);
  });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  t.after(async () => {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  });
  await waitUntil(
    async () => {
      const r = await httpGet(port, '/-/ready', 1000);
      return r.status === 200;
    },
    { pollMs: 200, polls: 100, what: `Prometheus ready on ${port} (stderr: ${stderr})` },
  );
  return { port, get stderr() { return stderr; } };
}

async function promQuery(port, query) {
  const r = await httpGet(port, `/api/v1/query?query=${encodeURIComponent(query)}`, 2000);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.status, 'success', r.body);
  return r.json.data.result;
}

// Takes IDs in a known pattern: returns how many were issued in "default".
async function takeKnownIds(idgen) {
  let n = 0;
  for (const count of [7, 100, 1]) {
    const res = await unary(idgen, 'NextIds', { namespace: 'default', count });
    assert.equal(res.ids.length, count);
    n += count;
  }
  await unary(idgen, 'NextId', { namespace: '' });
  return n + 1;
}

test('promtool check metrics accepts a live node /metrics', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const { idgen } = grpcClients(t, node.address);
  await takeKnownIds(idgen);
  await unary(idgen, 'GetInfo', {});
  await httpGet(node.adminPort, '/info');
  const metrics = await httpGet(node.adminPort, '/metrics');
  assert.equal(metrics.status, 200);
  for (const family of [
    'idgen_ids_issued_total',
    'idgen_batch_size',
    'rpc_server_duration_seconds',
    'http_server_request_duration_seconds',
    'idgen_reservation_headroom_seconds',
    'idgen_node_ready',
    'process_memory_usage_bytes',
  ]) {
    assert.match(metrics.body, new RegExp(`^# TYPE ${family} `, 'm'), `${family} missing`);
  }
  const rss = /^process_memory_usage_bytes (\d+)$/m.exec(metrics.body);
  assert.ok(rss && Number(rss[1]) > 2 ** 20 && Number(rss[1]) < 2 ** 30, `node RSS: ${rss?.[1]}`);
  assert.match(
    metrics.body,
    /^rpc_server_duration_seconds_count\{rpc_grpc_status_code="0",rpc_method="NextIds",rpc_service="idgen.v1.IdGenerator",rpc_system="grpc"\} 3$/m,
  );
  assert.match(metrics.body, /^target_info\{.*service_name="idgen-serve".*\} 1$/m);
  const r = await run('promtool', ['check', 'metrics'], { input: metrics.body });
  assert.equal(r.code, 0, `promtool check metrics failed:\n${r.stdout}${r.stderr}`);
});

test('Prometheus 2.42 scrapes a node; PromQL returns the IDs issued', async (t) => {
  const node = await startNode(t, { stateDir: tempDir(t) });
  const { idgen } = grpcClients(t, node.address);
  const issued = await takeKnownIds(idgen);
  const prom = await startPrometheus(t, [`127.0.0.1:${node.adminPort}`]);
  const query = 'idgen_ids_issued_total{idgen_namespace="default",job="idgen"}';
  const result = await waitUntil(
    async () => {
      const res = await promQuery(prom.port, query);
      return res.length === 1 ? res : undefined;
    },
    { pollMs: 250, polls: 120, what: `PromQL ${query} (prometheus stderr: ${prom.stderr})` },
  );
  assert.equal(result[0].metric.idgen_scheme, 'snowflake');
  assert.equal(Number(result[0].value[1]), issued);
  // The scrape itself is healthy.
  const up = await promQuery(prom.port, 'up{job="idgen"}');
  assert.equal(up[0].value[1], '1');
});

test('promtool accepts the published alert rules and scrape config', async () => {
  const rules = await withTimeout(run('promtool', ['check', 'rules', RULES]), 20000, 'promtool');
  assert.equal(rules.code, 0, `promtool check rules:\n${rules.stdout}${rules.stderr}`);
  assert.match(rules.stdout, /SUCCESS: \d+ rules found/);
  const config = await run('promtool', ['check', 'config', SCRAPE]);
  assert.equal(config.code, 0, `promtool check config:\n${config.stdout}${config.stderr}`);
  // docs/OBSERVABILITY.md shows both files verbatim.
  const doc = readFileSync(path.join(DOCS, 'OBSERVABILITY.md'), 'utf8');
  for (const file of [RULES, SCRAPE]) {
    assert.ok(doc.includes(readFileSync(file, 'utf8').trim()), `${file} is not in the doc`);
  }
});

test('IdgenMemoryHigh fires for a process held above 512 MiB for a minute, not below', async (t) => {
  const dir = tempDir(t);
  const spec = path.join(dir, 'memory_test.yml');
  // promtool compares annotations too; the description is the published one.
  const rules = readFileSync(RULES, 'utf8');
  const description = /alert: IdgenMemoryHigh[\s\S]*?description: (".*")/.exec(rules)[1];
  writeFileSync(
    spec,
    [
      'rule_files:',
      `  - ${RULES}`,
      'evaluation_interval: 15s',
      'tests:',
      '  - interval: 15s',
      '    input_series:',
      `      - series: 'process_memory_usage_bytes{instance="flooded:9464",job="idgen"}'`,
      "        values: '40000000 700000000x10'",
      `      - series: 'process_memory_usage_bytes{instance="calm:9464",job="idgen"}'`,
      "        values: '40000000x10'",
      '    alert_rule_test:',
      '      - eval_time: 30s',
      '        alertname: IdgenMemoryHigh',
      '        exp_alerts: []',
      '      - eval_time: 2m',
      '        alertname: IdgenMemoryHigh',
      '        exp_alerts:',
      '          - exp_labels: { severity: page, instance: "flooded:9464", job: idgen }',
      '            exp_annotations:',
      '              summary: "idgen process flooded:9464 holds 667.6MiB of memory"',
      `              description: ${description}`,
      '',
    ].join('\n'),
  );
  const r = await withTimeout(run('promtool', ['test', 'rules', spec]), 20000, 'promtool test rules');
  assert.equal(r.code, 0, `promtool test rules:\n${r.stdout}${r.stderr}`);
});

test('IdgenTlsCertificateExpiresSoon fires below 7 days left, not above', async (t) => {
  const dir = tempDir(t);
  const spec = path.join(dir, 'tls_test.yml');
  const rules = readFileSync(RULES, 'utf8');
  const description = /alert: IdgenTlsCertificateExpiresSoon[\s\S]*?description: (".*")/.exec(rules)[1];
  writeFileSync(
    spec,
    [
      'rule_files:',
      `  - ${RULES}`,
      'evaluation_interval: 1m',
      'tests:',
      '  - interval: 1m',
      '    input_series:',
      // At eval_time 1m, time() is 60: 6 days left for one, 30 for the other.
      `      - series: 'idgen_tls_cert_not_after_seconds{instance="old:9464",listener="grpc"}'`,
      "        values: '518460x3'",
      `      - series: 'idgen_tls_cert_not_after_seconds{instance="fresh:9464",listener="grpc"}'`,
      "        values: '2592060x3'",
      '    alert_rule_test:',
      '      - eval_time: 1m',
      '        alertname: IdgenTlsCertificateExpiresSoon',
      '        exp_alerts:',
      '          - exp_labels: { severity: ticket, instance: "old:9464", listener: grpc }',
      '            exp_annotations:',
      '              summary: "idgen old:9464: the grpc TLS certificate expires in 6d 0h 0m 0s"',
      `              description: ${description}`,
      '',
    ].join('\n'),
  );
  const r = await withTimeout(run('promtool', ['test', 'rules', spec]), 20000, 'promtool test rules');
  assert.equal(r.code, 0, `promtool test rules:\n${r.stdout}${r.stderr}`);
});
