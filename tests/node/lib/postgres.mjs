// Copyright idgen authors.
//
// Real PostgreSQL 15 for tests and benchmarks: Debian's postgresql-15
// (/usr/lib/postgresql/15/bin, or IDGEN_PG_BIN), a fresh cluster from initdb
// in a temporary directory, on a free loopback port, with trust auth for the
// user `idgen`. PostgreSQL refuses to run as root: as root, initdb and the
// server run as `nobody` (setpriv, which execs, so the pid is the server's)
// in a directory owned by nobody. The server is stopped by pid after the test
// `t` (and as a last resort on exit), its directory removed.
//
//   const pg = await startPostgres(t);
//   pg.url                       // "postgresql://idgen@127.0.0.1:PORT/postgres"
//   await pg.sql('SELECT 1')     // psql -At: the output, trimmed
//   await pg.stop();  await pg.start();   // same data, same port
//   pg.signalAll('SIGSTOP');  pg.signalAll('SIGCONT');   // hang, resume
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { freePort, runProcess, spawnProcess, stopNode, trackExit, waitUntil } from './harness.mjs';

export const PG_BIN = process.env.IDGEN_PG_BIN || '/usr/lib/postgresql/15/bin';

const live = new Set();
const dirs = new Set();
process.on('exit', () => {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const asRoot = process.getuid?.() === 0;
// Runs a PostgreSQL program as nobody when we are root.
const dropRoot = asRoot ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'] : [];

// The pids whose parent is `pid` (the server's backends), from /proc.
function childrenOf(pid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function postgresAvailable() {
  return existsSync(path.join(PG_BIN, 'initdb')) && existsSync(path.join(PG_BIN, 'postgres'));
}

// Options: `args` extra server flags (e.g. ['-c', 'max_connections=50']);
// `prefix` a command that execs the server (['taskset', '-c', '1']).
export async function startPostgres(t, { args = [], prefix = [] } = {}) {
  if (!postgresAvailable()) throw new Error(`PostgreSQL 15 not found in ${PG_BIN} (apt-get install postgresql-15)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idgen-pg-'));
  dirs.add(dir);
  if (asRoot) chownSync(dir, 65534, 65534);
  const data = path.join(dir, 'data');
  const init = await runProcess(
    path.join(PG_BIN, 'initdb'),
    ['-D', data, '-U', 'idgen', '--auth=trust', '--no-sync', '-E', 'UTF8', '--no-instructions'],
    { prefix: dropRoot, timeoutMs: 30000, cwd: dir },
  );
  if (init.code !== 0) throw new Error(`initdb failed (${init.code}): ${init.stderr}`);
  const port = await freePort();
  const pg = {
    port,
    dir,
    url: `postgresql://idgen@127.0.0.1:${port}/postgres`,
    proc: undefined,
    get pid() {
      return pg.proc?.pid;
    },
    async start() {
      const p = trackExit(
        spawnProcess(
          path.join(PG_BIN, 'postgres'),
          ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
            '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', ...args],
          { prefix: [...prefix, ...dropRoot], cwd: dir },
        ),
      );
      pg.proc = p;
      live.add(p);
      p.exited.then(() => live.delete(p));
      await waitUntil(() => {
        if (p.exit) throw new Error(`postgres exited ${JSON.stringify(p.exit)}: ${p.out.stderr}`);
        return p.out.stderr.includes('ready to accept connections');
      }, { pollMs: 50, polls: 300, what: `postgres on port ${port}` });
    },
    // Fast shutdown (SIGINT: clients are disconnected, then a checkpoint).
    async stop() {
      if (!pg.proc) return undefined;
      const e = await stopNode(pg.proc, { signal: 'SIGINT', timeoutMs: 10000 });
      pg.proc = undefined;
      return e;
    },
    // SIGSTOP / SIGCONT to the server and its backends (a server that
    // hangs rather than dies: connections stay open, nothing answers).
    signalAll(signal) {
      for (const pid of [pg.pid, ...childrenOf(pg.pid)]) {
        try {
          process.kill(pid, signal);
        } catch {
          // gone
        }
      }
    },
    async sql(query) {
      const r = await runProcess(
        path.join(PG_BIN, 'psql'),
        ['-h', '127.0.0.1', '-p', String(port), '-U', 'idgen', '-d', 'postgres', '-At', '-v', 'ON_ERROR_STOP=1', '-c', query],
        { timeoutMs: 10000 },
      );
      if (r.code !== 0) throw new Error(`psql: ${r.stderr}`);
      return r.stdout.trim();
    },
  };
  await pg.start();
  if (t) {
    t.after(async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    });
  }
  return pg;
}
