// Copyright idgen authors.
//
// Redis as the benchmarks' peer: a redis-server without persistence on a
// free loopback port and a Unix socket in `dir`, and redis-benchmark's INCR
// (`-c clients -P 1`), sized by one calibration run per connection kind to
// last about `seconds` (redis-benchmark has no duration flag).
import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { freePort, runProcess, sleep, spawnProcess, trackExit } from '../../tests/node/lib/harness.mjs';
import { log } from './run.mjs';

export class RedisPeer {
  // `who`: the benchmark's name for log lines; `serverPrefix` and
  // `clientPrefix` run redis-server and redis-benchmark through a command
  // (taskset).
  constructor({ who, dir, clients, seconds, serverPrefix = [], clientPrefix = [] }) {
    Object.assign(this, { who, dir, clients, seconds, serverPrefix, clientPrefix });
    this.sizes = new Map();
  }

  // Starts redis-server; resolves once it answers PING. Returns the process
  // (stop it by pid).
  async start() {
    this.port = await freePort();
    const dir = path.join(this.dir, 'redis');
    this.sock = path.join(dir, 'redis.sock');
    mkdirSync(dir);
    this.proc = trackExit(
      spawnProcess(
        'redis-server',
        ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
          '--unixsocket', this.sock, '--unixsocketperm', '700', '--daemonize', 'no', '--dir', dir,
          '--logfile', path.join(dir, 'redis.log')],
        { prefix: this.serverPrefix },
      ),
    );
    for (let i = 0; i < 100 && !this.proc.exit; i++) {
      const r = await runProcess('redis-cli', ['-p', String(this.port), 'ping'], { timeoutMs: 2000 });
      if (r.stdout.trim() === 'PONG') return this.proc;
      await sleep(100);
    }
    throw new Error(`redis-server did not answer PING within 10 s (exit ${JSON.stringify(this.proc.exit)})`);
  }

  // redis-benchmark's connection arguments for 'tcp' or 'unix'.
  connect(kind) {
    return kind === 'unix' ? ['-s', this.sock] : ['-p', String(this.port)];
  }

  // One INCR run of `n` requests: { rps, p50_us, p99_us, n }.
  async incr(kind, n) {
    const args = [...this.connect(kind), '-t', 'incr', '-n', String(n), '-c', String(this.clients), '-P', '1', '--csv'];
    const r = await runProcess('redis-benchmark', args, {
      prefix: this.clientPrefix,
      timeoutMs: (this.seconds * 5 + 60) * 1000,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('"INCR"'));
    if (r.code !== 0 || !line) throw new Error(`redis-benchmark ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    const f = line.split(',').map((x) => Number(x.replaceAll('"', '')));
    // "INCR",rps,avg,min,p50,p95,p99,max
    return { rps: f[1], p50_us: f[4] * 1000, p99_us: f[6] * 1000, n };
  }

  // An INCR run of about `seconds` over `kind` ('tcp' or 'unix').
  async run(kind) {
    if (!this.sizes.has(kind)) {
      log(this.who, `redis: calibrating (${this.connect(kind).join(' ')})`);
      const cal = await this.incr(kind, 100000);
      this.sizes.set(kind, Math.max(100000, Math.floor(cal.rps * this.seconds)));
    }
    const n = this.sizes.get(kind);
    log(this.who, `redis: redis-benchmark ${this.connect(kind).join(' ')} -t incr -n ${n} -c ${this.clients} -P 1`);
    return this.incr(kind, n);
  }
}
