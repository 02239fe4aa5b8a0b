// Copyright idgen authors.
//
// The HTTP load tool and the HTTP peer of the benchmarks: `wrk` runs parsed
// into figures, and an nginx serving one static file (over HTTPS when given
// a certificate), started in a directory of the caller's and stopped by pid.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { freePort, runProcess, sleep, spawnProcess, trackExit } from '../../tests/node/lib/harness.mjs';
import { log, usageExit } from './run.mjs';

// Resolves once `url` answers 200 (certificates not checked: the peers
// here use the benchmark's own throwaway CA); throws after 10 s.
export async function waitHttp(url) {
  const https = url.startsWith('https:') ? await import('node:https') : null;
  for (let i = 0; i < 100; i++) {
    try {
      const status = https
        ? await new Promise((resolve, reject) => {
          https.get(url, { rejectUnauthorized: false, agent: false, timeout: 1000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          }).on('error', reject);
        })
        : await fetch(url, { signal: AbortSignal.timeout(1000) }).then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        });
      if (status === 200) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within 10 s`);
}

// The nginx binary: `given` (a --nginx flag), else nginx on PATH, else
// /usr/sbin/nginx; exits 2 through usageExit when it is not there.
export async function findNginx(name, usage, given) {
  let nginx = given;
  if (!nginx) {
    const r = await runProcess('sh', ['-c', 'command -v nginx || echo /usr/sbin/nginx']);
    nginx = r.stdout.trim();
  }
  if (!existsSync(nginx)) usageExit(name, usage, `--nginx ${nginx}: not found (apt-get install nginx-light)`);
  return nginx;
}

// wrk's latency line "50%  1.23ms" in µs.
function wrkLatencyUs(text, pct) {
  const m = text.match(new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm'));
  if (!m) return null;
  const v = Number(m[1]);
  return m[2] === 'us' ? v : m[2] === 'ms' ? v * 1000 : v * 1e6;
}

// One wrk run against `url` (keep-alive): { rps, p50_us, p99_us, non2xx,
// socket_errors }; its output kept in `dir`/wrk-NAME.txt. `who` prefixes
// the log line.
export async function runWrk(who, dir, name, url, { threads, connections, seconds, headers = [] }) {
  log(who, `wrk -t${threads} -c${connections} -d${seconds}s ${headers.map((h) => `-H '${h}' `).join('')}${url}`);
  const r = await runProcess(
    'wrk',
    ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--latency',
      ...headers.flatMap((h) => ['-H', h]), url],
    { timeoutMs: (seconds + 60) * 1000 },
  );
  writeFileSync(path.join(dir, `wrk-${name}.txt`), r.stdout + r.stderr);
  const rps = r.stdout.match(/Requests\/sec:\s+([\d.]+)/);
  if (r.code !== 0 || !rps) throw new Error(`wrk against ${url}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  const errors = r.stdout.match(/Socket errors:.*/);
  return {
    rps: Number(rps[1]),
    p50_us: wrkLatencyUs(r.stdout, 50),
    p99_us: wrkLatencyUs(r.stdout, 99),
    non2xx: Number(r.stdout.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0),
    socket_errors: errors ? errors[0] : null,
  };
}

// nginx (`binary`) with `workers` workers serving `body` as /ids.json from
// `dir`/nginx, on a free loopback port; over HTTPS (TLS 1.2 and 1.3) when
// `tls` ({ cert, key } paths) is given. Resolves { proc, port, base }; the
// caller stops proc by pid.
export async function startNginx(binary, dir, body, { workers, tls } = {}) {
  const home = path.join(dir, tls ? 'nginx-tls' : 'nginx');
  mkdirSync(path.join(home, 'html'), { recursive: true });
  mkdirSync(path.join(home, 'logs'));
  writeFileSync(path.join(home, 'html', 'ids.json'), body);
  // Run as root, nginx's workers switch to an unprivileged user: let it read.
  for (const d of [dir, home, path.join(home, 'html')]) chmodSync(d, 0o755);
  chmodSync(path.join(home, 'html', 'ids.json'), 0o644);
  const port = await freePort();
  const conf = path.join(home, 'nginx.conf');
  const listen = tls
    ? `listen 127.0.0.1:${port} ssl;\n    ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};\n` +
      '    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache off;\n    ssl_session_tickets off;'
    : `listen 127.0.0.1:${port};`;
  writeFileSync(conf, `worker_processes ${workers};
pid ${home}/nginx.pid;
error_log ${home}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${home}/body;
  proxy_temp_path ${home}/proxy;
  fastcgi_temp_path ${home}/fastcgi;
  uwsgi_temp_path ${home}/uwsgi;
  scgi_temp_path ${home}/scgi;
  keepalive_requests 1000000;
  server {
    ${listen}
    location = /ids.json { root ${home}/html; default_type application/json; }
  }
}
`);
  const proc = trackExit(spawnProcess(binary, ['-p', home, '-c', conf, '-g', 'daemon off;']));
  const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  try {
    await waitHttp(`${base}/ids.json`);
  } catch (err) {
    proc.child?.kill('SIGKILL');
    throw err;
  }
  return { proc, port, base };
}
