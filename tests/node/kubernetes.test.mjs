// Copyright idgen authors.
//
// deploy/kubernetes as a cluster would take it: the base and each overlay
// rendered by `kubectl kustomize` (Debian's kubernetes-client), every object
// validated offline against the Kubernetes JSON schemas (npm
// kubernetes-models), and the manifests cross-checked with the binary they
// run: every IDGEN_* variable is one `idgen serve|gateway --help` lists, the
// probes' ports are the ones the listen variables bind, and a node and a
// gateway started with the manifests' environment (addresses moved to free
// loopback ports, embedded mode instead of etcd) answer the probes' paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import yaml from 'js-yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';

import { freePort, httpGet, runIdgen, runProcess, spawnIdgen, stopNode, tempDir, trackExit, waitUntil } from './lib/harness.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K8S = path.join(ROOT, 'deploy/kubernetes');
const MODELS = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

async function render(dir) {
  const r = await runProcess('kubectl', ['kustomize', path.join(K8S, dir)], { timeoutMs: 60000 });
  assert.equal(r.code, 0, `kubectl kustomize ${dir}: ${r.stderr}`);
  return yaml.loadAll(r.stdout).filter(Boolean);
}

function validate(obj) {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  assert.ok(Model, `no schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name})`);
  new Model(obj).validate();
}

const find = (objs, kind, name) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} rendered`);
  return o;
};
const container = (deploy) => deploy.spec.template.spec.containers[0];
const envOf = (c) => Object.fromEntries((c.env ?? []).filter((e) => 'value' in e).map((e) => [e.name, e.value]));
const portOf = (c, nameOrNumber) =>
  typeof nameOrNumber === 'number' ? nameOrNumber : c.ports.find((p) => p.name === nameOrNumber)?.containerPort;
const listenPort = (hostPort) => Number(/:(\d+)$/.exec(hostPort)[1]);
const matches = (selector, labels) => Object.entries(selector).every(([k, v]) => labels[k] === v);

// The IDGEN_* variables and flags a subcommand takes, from its --help.
async function helpOf(...args) {
  const r = await runIdgen([...args, '--help']);
  assert.equal(r.code, 0, r.stderr);
  return {
    env: new Set([...r.stdout.matchAll(/Env:(IDGEN_\w+)/g)].map((m) => m[1])),
    flags: new Set([...r.stdout.matchAll(/(--[a-z][a-z0-9-]*)/g)].map((m) => m[1])),
  };
}

test('kustomize base and overlays render, and every object fits the Kubernetes schemas', async () => {
  for (const dir of ['base', 'overlays/etcd', 'overlays/tls']) {
    const objs = await render(dir);
    assert.ok(objs.length >= 8, `${dir}: ${objs.length} objects`);
    for (const o of objs) validate(o);
  }
  // Every container asks for CPU and memory and is capped in memory; a
  // node's cap leaves room for the gRPC memory quota it is given.
  for (const o of (await render('base')).filter((x) => x.kind === 'Deployment')) {
    for (const c of o.spec.template.spec.containers) {
      const r = c.resources ?? {};
      assert.ok(r.requests?.cpu && r.requests?.memory, `${o.metadata.name}/${c.name}: requests ${JSON.stringify(r)}`);
      assert.match(String(r.limits?.memory), /^\d+Mi$/, `${o.metadata.name}/${c.name}: memory limit`);
      const quota = (c.env ?? []).find((e) => e.name === 'IDGEN_GRPC_MEMORY_MIB');
      if (quota) {
        assert.ok(Number(quota.value) + 64 <= parseInt(r.limits.memory, 10),
          `${o.metadata.name}: IDGEN_GRPC_MEMORY_MIB ${quota.value} + 64 MiB must fit in ${r.limits.memory}`);
      }
    }
  }
  // The validation is real: a wrong type is refused.
  const [deploy] = (await render('base')).filter((o) => o.kind === 'Deployment');
  container(deploy).ports[0].containerPort = 'fifty';
  assert.throws(() => validate(deploy), /containerPort must be integer/);
});

test('manifests match the binary: variables, probe ports and paths, grace periods, selectors', async (t) => {
  const base = await render('base');
  const serveHelp = await helpOf('serve');
  const gatewayHelp = await helpOf('gateway');
  const config = find(base, 'ConfigMap', 'idgen-node-config');
  const node = find(base, 'Deployment', 'idgen-node');
  const gateway = find(base, 'Deployment', 'idgen-gateway');
  const nodeC = container(node);
  const gatewayC = container(gateway);
  assert.deepEqual(nodeC.args, ['serve']);
  assert.deepEqual(gatewayC.args, ['gateway']);

  for (const name of [...Object.keys(config.data), ...nodeC.env.map((e) => e.name)]) {
    assert.ok(serveHelp.env.has(name), `${name} is not a variable of idgen serve`);
  }
  for (const e of gatewayC.env) assert.ok(gatewayHelp.env.has(e.name), `${e.name} is not a variable of idgen gateway`);
  for (const dir of ['overlays/etcd', 'overlays/tls']) {
    const objs = await render(dir);
    const n = container(find(objs, 'Deployment', 'idgen-node'));
    const g = container(find(objs, 'Deployment', 'idgen-gateway'));
    for (const e of n.env) assert.ok(serveHelp.env.has(e.name), `${dir}: ${e.name} (node)`);
    for (const e of g.env) assert.ok(gatewayHelp.env.has(e.name), `${dir}: ${e.name} (gateway)`);
    // Exec probes run idgen subcommands with flags they have.
    for (const probe of [n.livenessProbe, n.readinessProbe].filter((p) => p.exec)) {
      const [bin, sub, ...rest] = probe.exec.command;
      assert.equal(bin, '/usr/bin/idgen');
      const help = await helpOf(sub);
      for (const a of rest.filter((x) => x.startsWith('--'))) assert.ok(help.flags.has(a), `idgen ${sub} ${a}`);
    }
  }

  // Probe ports are the ports the listen variables bind.
  const nodeEnv = envOf(nodeC);
  const gatewayEnv = envOf(gatewayC);
  for (const probe of [nodeC.livenessProbe, nodeC.readinessProbe]) {
    assert.equal(portOf(nodeC, probe.httpGet.port), listenPort(nodeEnv.IDGEN_ADMIN_LISTEN));
  }
  assert.equal(portOf(nodeC, 'grpc'), listenPort(nodeEnv.IDGEN_LISTEN));
  for (const probe of [gatewayC.livenessProbe, gatewayC.readinessProbe]) {
    assert.equal(portOf(gatewayC, probe.httpGet.port), listenPort(gatewayEnv.IDGEN_GATEWAY_LISTEN));
  }
  assert.deepEqual([nodeC.livenessProbe.httpGet.path, nodeC.readinessProbe.httpGet.path], ['/alive', '/health']);
  assert.deepEqual([gatewayC.livenessProbe.httpGet.path, gatewayC.readinessProbe.httpGet.path], ['/alive', '/health']);
  assert.equal(gatewayEnv.IDGEN_BACKENDS, `dns:///${find(base, 'Service', 'idgen-node').metadata.name}:${portOf(nodeC, 'grpc')}`);

  // Grace: preStop sleep + the drain (node) or the retry budget (gateway) fit.
  const sleepOf = (c) => Number(c.lifecycle.preStop.exec.command.at(-1));
  assert.ok(node.spec.template.spec.terminationGracePeriodSeconds >=
    sleepOf(nodeC) + Number(nodeEnv.IDGEN_DRAIN_TIMEOUT_MS) / 1000 + 1, 'node grace period');
  assert.ok(gateway.spec.template.spec.terminationGracePeriodSeconds >=
    sleepOf(gatewayC) + (Number(gatewayEnv.IDGEN_CALL_TIMEOUT_MS) * Number(gatewayEnv.IDGEN_RETRY_ATTEMPTS)) / 1000 + 1,
  'gateway grace period');

  // Selectors: PDBs and Services pick the pods; the NetworkPolicy admits the
  // gateway's pods, on the node's ports.
  const nodeLabels = node.spec.template.metadata.labels;
  const gatewayLabels = gateway.spec.template.metadata.labels;
  assert.ok(matches(find(base, 'PodDisruptionBudget', 'idgen-node').spec.selector.matchLabels, nodeLabels));
  assert.ok(matches(find(base, 'PodDisruptionBudget', 'idgen-gateway').spec.selector.matchLabels, gatewayLabels));
  assert.ok(matches(find(base, 'Service', 'idgen-node').spec.selector, nodeLabels));
  assert.ok(matches(find(base, 'Service', 'idgen-gateway').spec.selector, gatewayLabels));
  const policy = find(base, 'NetworkPolicy', 'idgen-node');
  assert.ok(matches(policy.spec.podSelector.matchLabels, nodeLabels));
  assert.ok(!matches(policy.spec.podSelector.matchLabels, gatewayLabels));
  assert.equal(policy.spec.ingress.length, 1);
  assert.ok(matches(policy.spec.ingress[0].from[0].podSelector.matchLabels, gatewayLabels));
  assert.deepEqual(policy.spec.ingress[0].ports.map((p) => p.port).sort(),
    [portOf(nodeC, 'grpc'), portOf(nodeC, 'admin')].sort());

  // A real node and gateway with the manifests' environment answer the probes.
  const local = async (hostPort) => `127.0.0.1:${await freePort()}`;
  const env = { ...nodeEnv, IDGEN_STATE_DIR: tempDir(t, 'idgen-k8s-state-') };
  env.IDGEN_LISTEN = await local(env.IDGEN_LISTEN);
  env.IDGEN_ADMIN_LISTEN = await local(env.IDGEN_ADMIN_LISTEN);
  const nodeProc = trackExit(spawnIdgen(['serve'], { env }));
  t.after(() => stopNode(nodeProc));
  const adminPort = listenPort(env.IDGEN_ADMIN_LISTEN);
  await waitUntil(async () => nodeProc.exit === undefined && (await httpGet(adminPort, '/health').catch(() => ({}))).status === 200,
    { polls: 100, what: `node with the manifest's environment: ${nodeProc.out.stderr}` });
  assert.equal((await httpGet(adminPort, nodeC.livenessProbe.httpGet.path)).status, 200);

  const genv = { ...gatewayEnv, IDGEN_BACKENDS: env.IDGEN_LISTEN };
  genv.IDGEN_GATEWAY_LISTEN = await local(genv.IDGEN_GATEWAY_LISTEN);
  const gatewayProc = trackExit(spawnIdgen(['gateway'], { env: genv }));
  t.after(() => stopNode(gatewayProc));
  const httpPort = listenPort(genv.IDGEN_GATEWAY_LISTEN);
  await waitUntil(async () => gatewayProc.exit === undefined && (await httpGet(httpPort, '/health').catch(() => ({}))).status === 200,
    { polls: 100, what: `gateway with the manifest's environment: ${gatewayProc.out.stderr}` });
  assert.equal((await httpGet(httpPort, gatewayC.livenessProbe.httpGet.path)).status, 200);
});
