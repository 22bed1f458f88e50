// Static files benchmark (issue 5: "serving a 4 KB and a 1 MB static file at least 1x the real
// uWSGI with offload-threads and the 4 KB case at least 0.5x nginx, same files and concurrency").
// The same two files in one temp dir, served by uwsgi-ts (check-static), by uWSGI 2.0 (check-static
// with offload-threads) and by nginx (root + sendfile), each with the same number of processes.
// As in http-hello.mjs, every contender is started once and wrk runs against them alternating
// (A B C A B C ...); the figure is the median round. BENCH_QUICK=1 makes it a smoke run.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseWrk } from './http-hello.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'bin', 'uwsgi-ts.js');
const apps = join(root, 'bench', 'apps');

export const DEFAULTS = Object.freeze({
  rounds: 5,
  durationS: 5,
  warmupS: 1,
  connections: 50,
  threads: 1,
  processes: 2,
  offloadThreads: 2,
});
const QUICK = Object.freeze({ rounds: 1, durationS: 1, warmupS: 1 });

/** The files served: name and size. */
export const FILES = Object.freeze([
  { name: 'file-4k.bin', size: 4096, label: '4 KB' },
  { name: 'file-1m.bin', size: 1024 * 1024, label: '1 MB' },
]);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const log = (msg) => process.stderr.write(`bench static: ${msg}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Starts `cmd args` in its own process group; stop() sends SIGINT, SIGKILL after 5 s. */
async function startProcess(name, cmd, args, ready, timeoutMs = 20_000) {
  const proc = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  let exited = false;
  const done = new Promise((resolve) => {
    proc.on('exit', () => {
      exited = true;
      resolve();
    });
    proc.on('error', (err) => {
      text += `spawn error: ${err.message}\n`;
      exited = true;
      resolve();
    });
  });
  const onData = (d) => {
    if (text.length < 64_000) text += d.toString('utf8');
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const handle = {
    name,
    pid: proc.pid,
    died: () =>
      exited ? `${name} died: ${text.split('\n').filter(Boolean).slice(-2).join(' / ')}` : undefined,
    async stop() {
      if (!exited && killGroup(proc.pid, 'SIGINT')) {
        const late = await Promise.race([done.then(() => false), sleep(5000).then(() => true)]);
        if (late) killGroup(proc.pid, 'SIGKILL');
        await done;
      }
      if (spawnSync('pgrep', ['-g', String(proc.pid)], { stdio: 'ignore' }).status === 0)
        killGroup(proc.pid, 'SIGKILL');
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(text)) {
    if (exited || Date.now() > deadline) {
      await handle.stop();
      throw new Error(
        `${name} ${exited ? 'exited' : 'was not ready'}: ${text.split('\n').slice(-4).join(' / ')}`,
      );
    }
    await sleep(50);
  }
  return handle;
}

/** GET `path` with Connection: close: status and body length. */
function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } },
      (res) => {
        let length = 0;
        res.on('data', (d) => {
          length += d.length;
        });
        res.on('end', () => resolve({ status: res.statusCode, length }));
      },
    );
    req.setTimeout(3000, () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** Waits until every file answers 200 with its whole size (so every contender sends the same bytes). */
async function probe(name, port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      let ok = true;
      for (const f of FILES) {
        const r = await get(port, `/${f.name}`);
        if (r.status !== 200 || r.length !== f.size) {
          ok = false;
          last = `${f.name}: status ${r.status}, ${r.length} bytes`;
        }
      }
      if (ok) return;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`${name}: the files never answered 200 with their size (${last})`);
}

function wrk(port, path, connections, threads, durationS) {
  const args = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${durationS}s`,
    '--latency',
    `http://127.0.0.1:${port}${path}`,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8', timeout: (durationS + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrk ${args.join(' ')} failed: ${err.message} ${stderr}`));
      else resolve(parseWrk(stdout));
    });
  });
}

function nginxConf(dir, port, docroot, workers) {
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  return `worker_processes ${workers};
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  default_type application/octet-stream;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${docroot};
  }
}
`;
}

/**
 * Runs the comparison; format the result with `staticFilesTable`.
 * @param {{quick?: boolean, rounds?: number, durationS?: number, warmupS?: number,
 *   connections?: number, threads?: number, processes?: number, offloadThreads?: number}} [options]
 */
export async function benchStaticFiles(options = {}) {
  const quick = options.quick ?? process.env['BENCH_QUICK'] === '1';
  const o = { ...DEFAULTS, ...(quick ? QUICK : {}), ...options };
  const n = o.processes;
  const tmp = mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-static-'));
  // nginx's workers run as nobody: the temp dir (0700 from mkdtemp) must let them in
  chmodSync(tmp, 0o755);
  const docroot = join(tmp, 'www');
  mkdirSync(docroot, { mode: 0o755 });
  for (const f of FILES) {
    const bytes = Buffer.alloc(f.size);
    for (let i = 0; i < f.size; i++) bytes[i] = (i * 31 + 7) & 0xff;
    writeFileSync(join(docroot, f.name), bytes, { mode: 0o644 });
  }
  const result = {
    options: o,
    loadavg: loadavg()[0],
    cores: cpus().length,
    rows: [],
    unavailable: [],
  };
  const instances = new Map();
  const tryStart = async (key, label, fn) => {
    try {
      log(`starting ${label}`);
      instances.set(key, { label, ...(await fn()) });
    } catch (err) {
      result.unavailable.push({ label, reason: err.message.split('\n')[0] });
      log(`${label}: not available: ${err.message}`);
    }
  };
  try {
    await tryStart('ts', `uwsgi-ts, check-static, ${n} processes`, async () => {
      const port = await freePort();
      const h = await startProcess(
        'uwsgi-ts',
        process.execPath,
        [
          cli,
          '--http-socket',
          `127.0.0.1:${port}`,
          '--master',
          '--processes',
          String(n),
          '--disable-logging',
          '--check-static',
          docroot,
          '--app',
          join(apps, 'hello-node.mjs'),
        ],
        /uwsgi-ts: all workers ready/,
      );
      await probe('uwsgi-ts', port);
      return { ...h, port };
    });
    if (has('uwsgi', ['--version'])) {
      // http11-socket: keep-alive, as wrk and the other contenders use it
      await tryStart(
        'uwsgi',
        `uWSGI 2.0, check-static, offload-threads ${o.offloadThreads}, ${n} processes`,
        async () => {
          const port = await freePort();
          const h = await startProcess(
            'uWSGI',
            'uwsgi',
            [
              '--plugin',
              'python3',
              '--http11-socket',
              `127.0.0.1:${port}`,
              '--master',
              '--processes',
              String(n),
              '--offload-threads',
              String(o.offloadThreads),
              '--disable-logging',
              '--check-static',
              docroot,
              '--wsgi-file',
              join(apps, 'hello.py'),
            ],
            new RegExp(`spawned uWSGI worker ${n} `),
          );
          await probe('uWSGI', port);
          return { ...h, port };
        },
      );
    } else result.unavailable.push({ label: 'uWSGI', reason: 'uwsgi is not on PATH' });
    if (has('nginx', ['-v'])) {
      await tryStart('nginx', `nginx, root + sendfile, ${n} workers`, async () => {
        const port = await freePort();
        const dir = join(tmp, 'nginx');
        mkdirSync(dir);
        writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, port, docroot, n));
        const h = await startProcess(
          'nginx',
          'nginx',
          ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
          /(?:)/,
        );
        try {
          await probe('nginx', port);
        } catch (err) {
          let errorLog = '';
          try {
            errorLog = readFileSync(join(dir, 'error.log'), 'utf8').slice(-1000);
          } catch {}
          await h.stop();
          throw new Error(`${err.message} ${errorLog}`);
        }
        return { ...h, port };
      });
    } else
      result.unavailable.push({
        label: 'nginx',
        reason: 'nginx is not installed (apt-get install -y nginx-light)',
      });

    const runs = [];
    for (const f of FILES) {
      for (const [key, inst] of instances) {
        runs.push({
          key,
          file: f,
          label: inst.label,
          port: inst.port,
          connections: o.connections,
          rounds: [],
          failure: undefined,
        });
        // uWSGI's sync workers hold a keep-alive connection each: also measured at its natural load
        if (key === 'uwsgi')
          runs.push({
            key: 'uwsgi-cN',
            file: f,
            label: `${inst.label}, wrk -c${n}`,
            port: inst.port,
            connections: n,
            rounds: [],
            failure: undefined,
          });
      }
    }
    const load = async (r, seconds) => {
      if (r.failure) return undefined;
      try {
        return await wrk(r.port, `/${r.file.name}`, r.connections, o.threads, seconds);
      } catch (err) {
        r.failure =
          instances.get(r.key === 'uwsgi-cN' ? 'uwsgi' : r.key)?.died() ?? err.message.split('\n')[0];
        log(`${r.label} ${r.file.label}: stopped: ${r.failure}`);
        return undefined;
      }
    };
    log(`warm-up: ${o.warmupS} s each`);
    for (const r of runs) await load(r, o.warmupS);
    for (let i = 0; i < o.rounds; i++) {
      for (const r of runs) {
        const w = await load(r, o.durationS);
        if (!w) continue;
        r.rounds.push(w);
        log(`round ${i + 1}/${o.rounds} ${r.file.label} ${r.label}: ${w.rps.toFixed(0)} req/s`);
        await sleep(200);
      }
    }
    for (const r of runs) {
      const rps = r.rounds.map((x) => x.rps);
      result.rows.push({
        key: r.key,
        file: r.file.label,
        label: r.label,
        connections: r.connections,
        failure: r.failure,
        rounds: r.rounds.length,
        rps: rps.length > 0 ? median(rps) : Number.NaN,
        p99Ms: rps.length > 0 ? median(r.rounds.map((x) => x.p99Ms)) : Number.NaN,
        mbps: rps.length > 0 ? (median(rps) * r.file.size) / 1024 / 1024 : Number.NaN,
        errors: r.rounds.reduce((a, x) => a + x.errors, 0),
      });
    }
  } finally {
    for (const inst of instances.values()) await inst.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

const fmt = (x, digits = 0) =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';

/** The result as Markdown, ready for bench/RESULTS.md. */
export function staticFilesTable(r) {
  const o = r.options;
  const out = [
    `Static files: \`wrk -t${o.threads} -c${o.connections} -d${o.durationS}s --latency\` on one 4 KB and one 1 MB file, ` +
      `${o.rounds} round(s) per contender, alternating, after a ${o.warmupS} s warm-up; figure = median round. ` +
      `Every server was checked to answer both files with 200 and their full size first. ${r.cores} cores, ` +
      `1-minute load average at start: ${r.loadavg.toFixed(2)}.`,
    '',
    '| file | server | wrk -c | req/s (median) | MB/s | p99 | errors |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const x of r.rows) {
    if (x.failure)
      out.push(
        `| ${x.file} | ${x.label} | ${x.connections} | stopped: ${x.failure.replaceAll('|', '/')} | | | |`,
      );
    else
      out.push(
        `| ${x.file} | ${x.label} | ${x.connections} | ${fmt(x.rps)} | ${fmt(x.mbps, 1)} | ${fmt(x.p99Ms, 2)} ms | ${x.errors} |`,
      );
  }
  for (const u of r.unavailable)
    out.push(`| - | ${u.label} | - | not run: ${u.reason.replaceAll('|', '/')} | | | |`);
  const row = (key, file) => r.rows.find((x) => x.key === key && x.file === file && !x.failure);
  const ratios = [];
  const ratio = (line, a, b, target) => {
    if (!a || !b) return;
    const v = a.rps / b.rps;
    ratios.push(`| ${line} | ${v.toFixed(2)}x | >= ${target}x | ${v >= target ? 'pass' : '**FAIL**'} |`);
  };
  for (const f of FILES) {
    const uwsgiBest = [row('uwsgi', f.label), row('uwsgi-cN', f.label)]
      .filter(Boolean)
      .sort((a, b) => b.rps - a.rps)[0];
    ratio(`uwsgi-ts / uWSGI with offload-threads, ${f.label}`, row('ts', f.label), uwsgiBest, 1);
  }
  ratio('uwsgi-ts / nginx, 4 KB', row('ts', '4 KB'), row('nginx', '4 KB'), 0.5);
  if (ratios.length > 0) out.push('', '| ratio | value | target | verdict |', '|---|---|---|---|', ...ratios);
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(staticFilesTable(await benchStaticFiles()));
}
