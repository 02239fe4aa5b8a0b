// Copyright idgen authors.
//
// Test harness for black-box tests of `idgen serve`: free ports, temporary
// state directories, starting and stopping real node processes, and gRPC
// clients built with @grpc/grpc-js + @grpc/proto-loader from the project's
// .proto files. Every wait is bounded; every process and directory is cleaned
// up by test hooks (t.after) and, as a last resort, on process exit.
//
// IDGEN_BIN overrides the binary (default ../../../build/bin/idgen from here).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

export { grpc };

export const IDGEN_BIN =
  process.env.IDGEN_BIN || fileURLToPath(new URL('../../../build/bin/idgen', import.meta.url));
const PROTO_ROOT = fileURLToPath(new URL('../../../proto', import.meta.url));

export const FAKETIME_LIB =
  process.env.IDGEN_FAKETIME_LIB || '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export function idgenBin() {
  assert.ok(
    existsSync(IDGEN_BIN),
    `idgen binary not found at ${IDGEN_BIN}; build it first or set IDGEN_BIN`,
  );
  return IDGEN_BIN;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Rejects with a clear message if `promise` does not settle within `ms`.
export function withTimeout(promise, ms, what = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------
// Cleanup. Each test gets ONE after-hook that runs in a fixed order: close gRPC
// clients, stop every node it started (in parallel), then remove its
// directories. Order matters: removing a state dir under a live node races
// with the node rewriting its reservation file (ENOTEMPTY), and a throwing
// hook would skip the hooks after it. Errors are collected and reported after
// everything was cleaned up.
//
// Last resort: children are unref'd so that a test file whose cleanup failed
// still exits, and on exit anything still alive is killed, anything still on
// disk removed.

const liveChildren = new Set();
const liveDirs = new Set();
process.on('exit', () => {
  for (const child of liveChildren) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
});

// Killed by the test runner (timeout) or ^C: still clean up, via 'exit'.
for (const [sig, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
]) {
  process.once(sig, () => process.exit(code));
}

const cleanups = new WeakMap();

function cleanupFor(t) {
  let c = cleanups.get(t);
  if (!c) {
    c = { clients: [], nodes: [], dirs: [] };
    cleanups.set(t, c);
    t.after(async () => {
      const errors = [];
      for (const client of c.clients) {
        try {
          client.close();
        } catch (err) {
          errors.push(err);
        }
      }
      const stopped = await Promise.allSettled(
        c.nodes.map((node) => stopNode(node, { timeoutMs: 3000 })),
      );
      for (const r of stopped) if (r.status === 'rejected') errors.push(r.reason);
      for (const dir of c.dirs) {
        try {
          rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
          liveDirs.delete(dir);
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new AggregateError(errors, 'cleanup failed');
    });
  }
  return c;
}

// ---------------------------------------------------------------------------
// Ports and directories.

// A TCP port that was free a moment ago (listen on :0, read it, close).
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A fresh directory under os.tmpdir(), removed after the test `t` (if given).
export function tempDir(t, prefix = 'idgen-test-') {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  liveDirs.add(dir);
  if (t) cleanupFor(t).dirs.push(dir);
  return dir;
}

export function writeJson(dir, name, value) {
  const file = path.join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

// ---------------------------------------------------------------------------
// Admin HTTP.

// `tls` ({ ca, cert, key, servername } as PEM buffers): HTTPS, checking the
// server's certificate for `servername` (default "localhost") against `ca`,
// presenting cert/key if given.
// Sends a plaintext HTTP/1.1 request to 127.0.0.1:port; resolves with what
// came back before the server closed (or '' after 3 s of silence).
export function plaintextExchange(port) {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.setTimeout(3000, () => s.destroy());
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => resolve(got));
  });
}

export function httpGet(port, urlPath, timeoutMs = 2000, tls = undefined) {
  return new Promise((resolve, reject) => {
    const get = tls ? https.get : http.get;
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        timeout: timeoutMs,
        agent: false,
        ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername ?? 'localhost' } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          let json;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath} timed out`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------
// Processes.

function faketimeEnv(offset) {
  // libfaketime preloaded directly (not through the `faketime` wrapper, which
  // forks: its pid would not be the node's, and SIGTERM would not reach the
  // node). The monotonic clock stays real; only the wall clock is shifted,
  // which is what a node restarted on a machine whose clock is behind sees.
  return {
    LD_PRELOAD: FAKETIME_LIB,
    FAKETIME: offset,
    FAKETIME_NO_CACHE: '1',
    DONT_FAKE_MONOTONIC: '1',
  };
}

// Spawns `idgen ARGS` (or `bin`) with a clean IDGEN_* environment, its output
// kept (the last 128-256 KiB of each stream), killed on exit as a last resort.
// `prefix` runs it through a command that execs it, e.g. ['taskset', '-c',
// '1'], so that the pid is still idgen's. Returns { child, out, exited }.
export function spawnIdgen(args, { env = {}, faketime, bin, prefix = [] } = {}) {
  const childEnv = { ...process.env };
  // A stray IDGEN_* variable in the caller's environment must not change what
  // the test asked for.
  for (const key of Object.keys(childEnv)) {
    if (key.startsWith('IDGEN_') && key !== 'IDGEN_BIN') delete childEnv[key];
  }
  Object.assign(childEnv, env);
  if (faketime !== undefined) Object.assign(childEnv, faketimeEnv(faketime));
  return spawnProcess(bin ?? idgenBin(), args, { env: childEnv, prefix });
}

// Spawns any program the same way (Redis, nginx, wrk for the benchmarks):
// output kept, killed on exit as a last resort. `env` is the whole
// environment (default: this process's). Returns { child, out, exited }.
export function spawnProcess(command, args, { env = process.env, prefix = [], cwd } = {}) {
  const argv = [...prefix, command, ...args];
  const child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(child);
  // A forgotten child must not keep the test process alive (the exit handler
  // above kills it); awaited exits still resolve while the process runs.
  child.unref();
  child.stdout.unref();
  child.stderr.unref();
  const out = { stdout: '', stderr: '' };
  const cap = (key) => (chunk) => {
    out[key] += chunk;
    if (out[key].length > 256 * 1024) out[key] = out[key].slice(-128 * 1024);
  };
  child.stdout.setEncoding('utf8').on('data', cap('stdout'));
  child.stderr.setEncoding('utf8').on('data', cap('stderr'));
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      liveChildren.delete(child);
      resolve({ code: null, signal: null, error: err });
    });
  });
  return { child, out, exited };
}

// Runs `idgen ARGS` to completion (killed after timeoutMs) and returns
// { code, signal, stdout, stderr }.
export async function runIdgen(args, { env, timeoutMs = 10000, bin, prefix } = {}) {
  return settle(spawnIdgen(args, { env, bin, prefix }), timeoutMs);
}

// Runs any program to completion (killed after timeoutMs), as runIdgen.
export async function runProcess(command, args, { env, timeoutMs = 10000, prefix, cwd } = {}) {
  return settle(spawnProcess(command, args, { env, prefix, cwd }), timeoutMs);
}

async function settle({ child, out, exited }, timeoutMs) {
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal, error } = await exited;
  clearTimeout(timer);
  if (error) throw error;
  return { code, signal, stdout: out.stdout, stderr: out.stderr, timedOut: signal === 'SIGKILL' };
}

// Starts `idgen serve` on free ports and waits until it is up.
//   stateDir     required
//   workerId     --worker-id N (optional)
//   listen       gRPC --listen address (default 127.0.0.1 on a free port),
//                e.g. "unix:/tmp/x/grpc.sock" or the address of a node that
//                was stopped (a gateway still lists it); it is also
//                node.address
//   args         extra flags
//   env          extra environment
//   faketime     libfaketime offset such as "-1h" (optional)
//   bin          another idgen binary (default: IDGEN_BIN)
//   adminTls     { ca, cert, key } (PEM): the admin port serves HTTPS (a node
//                with --tls-cert); health polls and node.health/info use it
//   prefix       a command that execs the node, e.g. ['taskset', '-c', '1']
//   waitFor      'health' (default): /health 200; 'alive': /alive 200 (the
//                node may be not ready); 'none': return at once
//   pollMs, polls  bounded polling: default 100 ms x 100
// Returns a node handle; it is stopped after the test `t` (without `t`, by
// the caller, or on exit as a last resort).
export async function startNode(t, opts) {
  const {
    stateDir,
    workerId,
    listen,
    args = [],
    env,
    faketime,
    bin,
    adminTls,
    prefix,
    waitFor = 'health',
    pollMs = 100,
    polls = 100,
  } = opts;
  assert.ok(stateDir, 'startNode needs stateDir');
  let lastError;
  // A port from freePort() can be taken by someone else before the node binds
  // it; retry a few times with fresh ports in that case only.
  for (let attempt = 0; attempt < 3; attempt++) {
    const tcpPort = listen?.match(/^127\.0\.0\.1:(\d+)$/)?.[1];
    const grpcPort = listen ? (tcpPort ? Number(tcpPort) : undefined) : await freePort();
    const adminPort = await freePort();
    const address = listen ?? `127.0.0.1:${grpcPort}`;
    const fullArgs = [
      'serve',
      '--listen',
      address,
      '--admin-listen',
      `127.0.0.1:${adminPort}`,
      '--state-dir',
      stateDir,
      ...(workerId !== undefined ? ['--worker-id', String(workerId)] : []),
      ...args,
    ];
    const { child, out, exited } = spawnIdgen(fullArgs, { env, faketime, bin, prefix });
    const node = {
      pid: child.pid,
      child,
      grpcPort,
      adminPort,
      address,
      stateDir,
      exited,
      exit: undefined,
      get stderr() {
        return out.stderr;
      },
      get stdout() {
        return out.stdout;
      },
      health: () => httpGet(adminPort, '/health', 2000, adminTls),
      info: async () => (await httpGet(adminPort, '/info', 2000, adminTls)).json,
      stop: (o) => stopNode(node, o),
      kill9: async () => {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        return withTimeout(exited, 5000, `exit of killed node ${child.pid}`);
      },
    };
    exited.then((e) => (node.exit = e));
    if (t) cleanupFor(t).nodes.push(node);

    if (waitFor === 'none') return node;
    const urlPath = waitFor === 'alive' ? '/alive' : '/health';
    for (let i = 0; i < polls; i++) {
      if (node.exit) break;
      try {
        const res = await httpGet(adminPort, urlPath, 1000, adminTls);
        if (res.status === 200) return node;
      } catch {
        // not listening yet
      }
      await sleep(pollMs);
    }
    if (node.exit && /address|bind|in use/i.test(out.stderr) && attempt < 2) {
      lastError = new Error(`port clash: ${out.stderr}`);
      continue;
    }
    await stopNode(node, { timeoutMs: 2000 });
    throw new Error(
      `idgen serve did not reach ${urlPath} 200 within ${polls * pollMs} ms ` +
        `(exit: ${JSON.stringify(node.exit)}); stderr:\n${out.stderr}`,
    );
  }
  throw lastError;
}

// SIGTERM (or `signal`), then SIGKILL after timeoutMs. Resolves to
// { code, signal } of the exit. Any { pid, exited, exit } will do: a node,
// or a process from spawnProcess with `exit` kept (see trackExit).
export async function stopNode(node, { signal = 'SIGTERM', timeoutMs = 5000 } = {}) {
  if (node.exit) return node.exit;
  try {
    process.kill(node.pid, signal);
  } catch {
    // already gone
  }
  let timer;
  const killed = new Promise((resolve) => {
    timer = setTimeout(() => {
      try {
        process.kill(node.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      resolve();
    }, timeoutMs);
  });
  await Promise.race([node.exited, killed]);
  clearTimeout(timer);
  return withTimeout(node.exited, 5000, `exit of node ${node.pid}`);
}

export const stopProcess = stopNode;

// { pid, child, out, exited, exit, stop() } from spawnProcess's answer, with
// `exit` set once the process is gone.
export function trackExit({ child, out, exited }) {
  const proc = { pid: child.pid, child, out, exited, exit: undefined };
  exited.then((e) => (proc.exit = e));
  proc.stop = (o) => stopNode(proc, o);
  return proc;
}

// Polls `fn` (async, returns truthy when done) every pollMs, at most polls
// times; returns the truthy value or throws with `what`.
export async function waitUntil(fn, { pollMs = 100, polls = 100, what = 'condition' } = {}) {
  let last;
  for (let i = 0; i < polls; i++) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(pollMs);
  }
  throw new Error(`${what} not reached after ${polls * pollMs} ms (last: ${String(last)})`);
}

// ---------------------------------------------------------------------------
// gRPC.

const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let packages;
function loadPackages() {
  if (!packages) {
    const def = protoLoader.loadSync(
      ['idgen/v1/idgen.proto', 'grpc/health/v1/health.proto'],
      LOADER_OPTIONS,
    );
    packages = grpc.loadPackageDefinition(def);
  }
  return packages;
}

// The idgen.v1.IdGenerator service definition, for fake servers in tests.
export function idgenServiceDefinition() {
  return loadPackages().idgen.v1.IdGenerator.service;
}

// Clients for one node: { idgen, health, close() }, plaintext unless
// `creds` says otherwise. Closed after `t`.
export function grpcClients(t, address, creds = grpc.credentials.createInsecure(), options = {}) {
  const pkgs = loadPackages();
  const idgen = new pkgs.idgen.v1.IdGenerator(address, creds, options);
  const health = new pkgs.grpc.health.v1.Health(address, creds, options);
  const clients = {
    idgen,
    health,
    close() {
      idgen.close();
      health.close();
    },
  };
  if (t) cleanupFor(t).clients.push(clients);
  return clients;
}

export function deadline(ms) {
  return new Date(Date.now() + ms);
}

// Promisified unary call with a deadline (default 5 s).
export function unary(client, method, request, { deadlineMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: deadline(deadlineMs) }, (err, response) => {
      if (err) reject(err);
      else resolve(response);
    });
  });
}

// Settles a unary call either way: { ok: true, response } or { ok: false, error }.
export async function unaryError(client, method, request, opts) {
  try {
    const res = await unary(client, method, request, opts);
    return { ok: true, response: res };
  } catch (err) {
    return { ok: false, error: err };
  }
}

export const statusName = (code) =>
  Object.keys(grpc.status).find((k) => grpc.status[k] === code) ?? String(code);

// Asserts that `promise` (a unary call) fails with gRPC status `code`.
export async function assertGrpcError(promise, code, messagePattern) {
  let response;
  try {
    response = await promise;
  } catch (err) {
    assert.equal(
      statusName(err.code),
      statusName(code),
      `expected ${statusName(code)}, got ${statusName(err.code)}: ${err.details}`,
    );
    if (messagePattern) assert.match(err.details ?? '', messagePattern);
    return err;
  }
  assert.fail(`expected ${statusName(code)}, but the call succeeded: ${JSON.stringify(response)}`);
}

// 64-bit IDs arrive as decimal strings (longs: String); compare as BigInt.
export const toBig = (ids) => ids.map((s) => BigInt(s));

export function assertStrictlyIncreasing(ids, what = 'ids') {
  for (let i = 1; i < ids.length; i++) {
    if (!(ids[i - 1] < ids[i])) {
      assert.fail(`${what}: [${i - 1}]=${ids[i - 1]} is not < [${i}]=${ids[i]}`);
    }
  }
}

// Snowflake twitter layout 41/10/12: fields of an ID.
export const TWITTER_EPOCH_MS = 1288834974657n;
export const workerOf = (id) => Number((id >> 12n) & 0x3ffn);
export const timestampOf = (id) => Number((id >> 22n) + TWITTER_EPOCH_MS);

// One StreamIds stream: sends `requests` (pipelined, at most `window`
// outstanding) and resolves to the responses in order. Bounded by timeoutMs.
export function streamIds(client, requests, { window = 256, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const call = client.StreamIds({ deadline: deadline(timeoutMs) });
    const responses = [];
    let sent = 0;
    let settled = false;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      call.cancel();
      reject(err);
    };
    const pump = () => {
      while (sent < requests.length && sent - responses.length < window) {
        call.write(requests[sent++]);
      }
      if (sent === requests.length) call.end();
    };
    call.on('data', (res) => {
      responses.push(res);
      if (sent < requests.length) pump();
    });
    call.on('error', fail);
    call.on('end', () => {
      if (settled) return;
      settled = true;
      if (responses.length !== requests.length) {
        reject(
          new Error(`StreamIds: ${responses.length} responses to ${requests.length} requests`),
        );
      } else {
        resolve(responses);
      }
    });
    pump();
  });
}
