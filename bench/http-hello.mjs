// HTTP hello benchmark (issue: "hello throughput at least 0.9x raw node:http cluster with the same
// process count, and at least 1.3x the real uWSGI with the Python hello app; per-worker RSS at most
// 1.25x a bare node:http process"; "nginx uwsgi_pass to our socket against nginx to uWSGI").
// Every contender is started once, then wrk runs against them ALTERNATING (A B C A B C ...), so a
// noisy neighbour on this 2-core box hits every contender alike; the figure is the median round.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const apps = join(root, 'bench', 'apps');
const cli = join(root, 'bin', 'uwsgi-ts.js');

/** The defaults of a full run; BENCH_QUICK=1 (or `quick: true`) shortens every run for a smoke test. */
export const DEFAULTS = Object.freeze({
  rounds: 5,
  durationS: 5,
  warmupS: 1,
  // 50 keep-alive connections: 25 per worker keeps both event loops of every Node contender busy
  // (fewer leaves them idle between ping-pongs: -c2 loses ~25% on node:http), while one wrk
  // thread still drives it without becoming the bottleneck (-c100 only adds queueing latency).
  connections: 50,
  threads: 1,
  processes: 2,
});
const QUICK = Object.freeze({ rounds: 3, durationS: 1, warmupS: 1 });

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const log = (msg) => process.stderr.write(`bench http: ${msg}\n`);

/** A free loopback port: bind port 0, read it back, close. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Every process group we started, so that a failure or ^C anywhere still stops all of them.
const live = new Set();

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `cmd args` in its own process group and resolves once `ready` appears in its output.
 * stop() sends SIGINT to the group (SIGTERM would make uWSGI 2.0 reload), SIGKILL after 5 s.
 */
export async function startProcess(name, cmd, args, ready, timeoutMs = 20_000) {
  const proc = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  let tail = '';
  let exitedFlag = false;
  let exitStatus = '';
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitedFlag = true;
      exitStatus = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
    proc.on('error', (err) => {
      text += `spawn error: ${err.message}\n`;
      exitedFlag = true;
      resolve();
    });
  });
  const onData = (d) => {
    // keep the head (start-up lines) and a short tail (why it died): never the whole log
    const s = d.toString('utf8');
    if (text.length < 64_000) text += s;
    tail = (tail + s).slice(-4000);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const handle = {
    name,
    pid: proc.pid,
    log: () => text,
    /** undefined while it runs; then how it ended and its last lines */
    died: () => {
      if (!exitedFlag) return undefined;
      const last = tail.split('\n').filter((l) => l.trim() !== '');
      return `${name} died (${exitStatus}): ${last.slice(-3).join(' / ') || 'no output'}`;
    },
    async stop() {
      live.delete(handle);
      if (!exitedFlag && killGroup(proc.pid, 'SIGINT')) {
        const killed = await Promise.race([exited.then(() => false), sleep(5000).then(() => true)]);
        if (killed) killGroup(proc.pid, 'SIGKILL');
        await exited;
      }
      // workers of a master that died first would linger in the group
      if (spawnSync('pgrep', ['-g', String(proc.pid)], { stdio: 'ignore' }).status === 0)
        killGroup(proc.pid, 'SIGKILL');
    },
  };
  if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}: ${text}`);
  live.add(handle);
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(text)) {
    if (exitedFlag || Date.now() > deadline) {
      await handle.stop();
      const why = exitedFlag ? 'exited before it was ready' : `not ready after ${timeoutMs} ms`;
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      // the reason first (the last line a failing server writes), then its start-up lines
      throw new Error(`${name} ${why}: ${lines.at(-1) ?? 'no output'}\n${lines.slice(0, 12).join('\n')}`);
    }
    await sleep(50);
  }
  return handle;
}

/** One GET with `Connection: close` (a kept-alive probe would hold one of uWSGI's sync workers). */
function get(port) {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode, length: res.headers['content-length'], body }));
      },
    );
    req.setTimeout(2000, () => req.destroy(new Error('probe timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Waits until `GET /` answers 200 `Hello World` with Content-Length 11: every contender is checked
 * to send the same body, framed the same way (keep-alive needs the length, see apps/hello.py).
 */
export async function probe(name, port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const r = await get(port);
      if (r.status === 200 && r.body === 'Hello World' && r.length === '11') return;
      last = `status ${r.status}, content-length ${r.length}, body ${JSON.stringify(r.body.slice(0, 80))}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`${name}: GET / on port ${port} never answered 200 "Hello World" (${last})`);
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** The figures we report from wrk's `--latency` output. */
export function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? Number.NaN);
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const socketErrors = se ? se.slice(1).reduce((a, n) => a + Number(n), 0) : 0;
  return {
    rps,
    p99Ms: p99 ? Number(p99[1]) * UNIT_MS[p99[2]] : Number.NaN,
    requests: Number(/(\d+) requests in/.exec(text)?.[1] ?? 0),
    errors: socketErrors + non2xx,
  };
}

export function wrk(port, connections, threads, durationS) {
  const args = [
    `-t${threads}`,
    `-c${connections}`,
    `-d${durationS}s`,
    '--latency',
    `http://127.0.0.1:${port}/`,
  ];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { encoding: 'utf8', timeout: (durationS + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrk ${args.join(' ')} failed: ${err.message} ${stderr}`));
      else resolve(parseWrk(stdout));
    });
  });
}

/** VmRSS of one process, in kB (undefined when it is gone). */
function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function childPids(pid) {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

export function nginxConf(dir, fronts) {
  const params = [
    'QUERY_STRING $query_string',
    'REQUEST_METHOD $request_method',
    'CONTENT_TYPE $content_type',
    'CONTENT_LENGTH $content_length',
    'REQUEST_URI $request_uri',
    'PATH_INFO $document_uri',
    'DOCUMENT_ROOT $document_root',
    'SERVER_PROTOCOL $server_protocol',
    'REQUEST_SCHEME $scheme',
    'REMOTE_ADDR $remote_addr',
    'REMOTE_PORT $remote_port',
    'SERVER_PORT $server_port',
    'SERVER_NAME $server_name',
    'HTTP_HOST $host',
  ]
    .map((p) => `      uwsgi_param ${p};`)
    .join('\n');
  const servers = fronts
    .map(
      ({ port, backend }) => `  server {
    listen 127.0.0.1:${port};
    location / {
${params}
      uwsgi_pass 127.0.0.1:${backend};
    }
  }`,
    )
    .join('\n');
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  // one worker, as the issue says; keepalive_requests raised so wrk's connections are never cycled
  // (nginx 1.22 closes a client connection after 1000 requests by default)
  return `worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers}
}
`;
}

const UWSGI_TS_READY = /uwsgi-ts: all workers ready/;
// uWSGI preforks after loading the app: the last worker's spawn line means every worker serves
const uwsgiReady = (n) => new RegExp(`spawned uWSGI worker ${n} `);

/**
 * Runs the whole comparison and returns its figures (format them with `httpHelloTables`).
 * @param {{quick?: boolean, rounds?: number, durationS?: number, warmupS?: number,
 *   connections?: number, threads?: number, processes?: number}} [options]
 */
export async function benchHttpHello(options = {}) {
  const quick = options.quick ?? process.env['BENCH_QUICK'] === '1';
  const o = { ...DEFAULTS, ...(quick ? QUICK : {}), ...options };
  const n = o.processes;
  const result = {
    options: o,
    loadavg: loadavg()[0],
    cores: cpus().length,
    rows: [],
    unavailable: [],
    rss: [],
    startedAt: new Date().toISOString(),
  };
  const tmp = mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-http-'));
  const stopAll = () => {
    for (const h of live) {
      killGroup(h.pid, 'SIGINT');
      killGroup(h.pid, 'SIGKILL');
    }
  };
  const onSignal = (sig) => {
    stopAll();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', stopAll);

  // name -> running instance; each run row names the instance and the port wrk loads
  const instances = new Map();
  const tryStart = async (key, label, fn) => {
    try {
      log(`starting ${label}`);
      instances.set(key, await fn());
    } catch (err) {
      result.unavailable.push({ label, reason: err.message.split('\n')[0], detail: err.message });
      log(`${label}: not available: ${err.message}`);
    }
  };
  const hasUwsgi = has('uwsgi', ['--version']);
  const hasNginx = has('nginx', ['-v']);
  try {
    const ts = (app, flag) => async () => {
      const port = await freePort();
      const h = await startProcess(
        `uwsgi-ts ${app}`,
        process.execPath,
        [
          cli,
          flag,
          `127.0.0.1:${port}`,
          '--master',
          '--processes',
          String(n),
          '--disable-logging',
          '--app',
          join(apps, app),
        ],
        UWSGI_TS_READY,
      );
      return { ...h, port, workers: true };
    };
    const uw = (flag) => async () => {
      const port = await freePort();
      const h = await startProcess(
        'uWSGI',
        'uwsgi',
        [
          '--plugin',
          'python3',
          flag,
          `127.0.0.1:${port}`,
          '--master',
          '--processes',
          String(n),
          '--disable-logging',
          '--wsgi-file',
          join(apps, 'hello.py'),
        ],
        uwsgiReady(n),
      );
      return { ...h, port, workers: true };
    };
    await tryStart('ts-node', 'uwsgi-ts (Node-style app)', async () => {
      const h = await ts('hello-node.mjs', '--http-socket')();
      await probe(h.name, h.port);
      return h;
    });
    await tryStart('ts-fetch', 'uwsgi-ts (fetch-style app)', async () => {
      const h = await ts('hello-fetch.mjs', '--http-socket')();
      await probe(h.name, h.port);
      return h;
    });
    await tryStart('cluster', `node:http cluster (${n} processes)`, async () => {
      const port = await freePort();
      const h = await startProcess(
        'node:http cluster',
        process.execPath,
        [join(apps, 'node-cluster.mjs'), String(port), String(n)],
        /all workers ready/,
      );
      await probe(h.name, port);
      return { ...h, port, workers: true };
    });
    await tryStart('single', 'node:http single process', async () => {
      const port = await freePort();
      const h = await startProcess(
        'node:http single',
        process.execPath,
        [join(apps, 'node-single.mjs'), String(port)],
        /ready/,
      );
      await probe(h.name, port);
      return { ...h, port, workers: false };
    });
    if (hasUwsgi) {
      await tryStart('uwsgi', 'uWSGI (python3, http11-socket)', async () => {
        const h = await uw('--http11-socket')();
        await probe(h.name, h.port);
        return h;
      });
    } else {
      result.unavailable.push({ label: 'uWSGI', reason: 'uwsgi is not on PATH' });
    }
    if (hasNginx) {
      const backends = [];
      await tryStart('ts-sock', 'uwsgi-ts --socket (behind nginx)', ts('hello-node.mjs', '--socket'));
      if (instances.has('ts-sock')) backends.push(['nx-ts', instances.get('ts-sock').port]);
      if (hasUwsgi) {
        await tryStart('uwsgi-sock', 'uWSGI --socket (behind nginx)', uw('--socket'));
        if (instances.has('uwsgi-sock')) backends.push(['nx-uwsgi', instances.get('uwsgi-sock').port]);
      }
      if (backends.length > 0) {
        const fronts = [];
        for (const [key, backend] of backends) fronts.push({ key, port: await freePort(), backend });
        const dir = join(tmp, 'nginx');
        mkdirSync(dir);
        writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, fronts));
        await tryStart('nginx', 'nginx (1 worker)', async () => {
          const h = await startProcess(
            'nginx',
            'nginx',
            ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
            // nginx prints nothing when it starts well: readiness is the probe below
            /(?:)/,
          );
          try {
            for (const f of fronts) await probe(`nginx -> ${f.key}`, f.port);
          } catch (err) {
            let errorLog = '';
            try {
              errorLog = readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000);
            } catch {}
            await h.stop();
            throw new Error(`${err.message}\n${errorLog}`);
          }
          return { ...h, fronts };
        });
      }
    } else {
      result.unavailable.push({
        label: 'nginx',
        reason: 'nginx is not installed (apt-get install -y nginx-light)',
      });
    }

    const c = o.connections;
    const runs = [];
    // `uses` names the instances a run goes through, to say which one died if a run fails
    const add = (key, label, port, connections, note, uses = [key]) => {
      if (port !== undefined)
        runs.push({ key, label, port, connections, note, uses, rounds: [], failure: undefined });
    };
    const nx = instances.get('nginx');
    add('ts-node', 'uwsgi-ts, Node-style app', instances.get('ts-node')?.port, c);
    add('ts-fetch', 'uwsgi-ts, fetch-style app', instances.get('ts-fetch')?.port, c);
    add('cluster', `node:http cluster, ${n} processes`, instances.get('cluster')?.port, c);
    add('uwsgi', 'uWSGI 2.0 python3, http11-socket', instances.get('uwsgi')?.port, c, 'starved');
    add(
      'uwsgi-cN',
      `uWSGI, wrk -c${n} (one connection per sync worker)`,
      instances.get('uwsgi')?.port,
      n,
      '',
      ['uwsgi'],
    );
    add('single', 'node:http, 1 process (RSS baseline)', instances.get('single')?.port, c);
    const front = (key) => nx?.fronts.find((f) => f.key === key)?.port;
    add('nx-ts', 'nginx uwsgi_pass -> uwsgi-ts --socket', front('nx-ts'), c, '', ['nginx', 'ts-sock']);
    add('nx-uwsgi', 'nginx uwsgi_pass -> uWSGI --socket', front('nx-uwsgi'), c, '', ['nginx', 'uwsgi-sock']);

    // A server that dies or stops answering ends its own runs, not the benchmark: its row says why.
    const load = async (r, seconds) => {
      if (r.failure) return undefined;
      try {
        return await wrk(r.port, r.connections, o.threads, seconds);
      } catch (err) {
        const dead = r.uses.map((k) => instances.get(k)?.died()).filter(Boolean);
        r.failure = dead.length > 0 ? dead.join('; ') : err.message.split('\n').slice(0, 2).join(' ');
        log(`${r.label}: stopped: ${r.failure}`);
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
        log(`round ${i + 1}/${o.rounds} ${r.label}: ${w.rps.toFixed(0)} req/s, p99 ${w.p99Ms.toFixed(2)} ms`);
        await sleep(200);
      }
    }
    for (const r of runs) {
      const rps = r.rounds.map((x) => x.rps);
      result.rows.push({
        key: r.key,
        label: r.label,
        connections: r.connections,
        note: r.note,
        failure: r.failure,
        rounds: r.rounds.length,
        rps: rps.length > 0 ? median(rps) : Number.NaN,
        minRps: Math.min(...rps),
        maxRps: Math.max(...rps),
        p99Ms: rps.length > 0 ? median(r.rounds.map((x) => x.p99Ms)) : Number.NaN,
        errors: r.rounds.reduce((a, x) => a + x.errors, 0),
        requests: r.rounds.reduce((a, x) => a + x.requests, 0),
      });
    }

    // RSS after the same load: the workers (children of the master) of each multi-process server,
    // the single node:http process itself
    const rssOf = (key, label) => {
      const inst = instances.get(key);
      if (!inst || inst.died()) return;
      const pids = inst.workers ? childPids(inst.pid) : [inst.pid];
      const kb = pids.map(rssKb).filter((x) => x !== undefined);
      if (kb.length > 0)
        result.rss.push({ key, label, pids, kb, masterKb: inst.workers ? rssKb(inst.pid) : undefined });
    };
    rssOf('single', 'node:http, 1 process (baseline)');
    rssOf('ts-node', 'uwsgi-ts workers, Node-style app');
    rssOf('ts-fetch', 'uwsgi-ts workers, fetch-style app');
    rssOf('cluster', 'node:http cluster workers');
    rssOf('uwsgi', 'uWSGI python3 workers');
    rssOf('ts-sock', 'uwsgi-ts --socket workers (behind nginx)');
    rssOf('uwsgi-sock', 'uWSGI --socket workers (behind nginx)');
  } finally {
    for (const h of [...live].reverse()) await h.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', stopAll);
    rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

const fmtRps = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const fmtMs = (x) => (Number.isFinite(x) ? (x < 1 ? x.toFixed(3) : x.toFixed(2)) + ' ms' : 'n/a');
const fmtMb = (kb) => (kb / 1024).toFixed(1) + ' MB';

/** The result as Markdown tables, ready to paste into bench/RESULTS.md. */
export function httpHelloTables(r) {
  const o = r.options;
  const out = [];
  const row = (k) => r.rows.find((x) => x.key === k && !x.failure);
  out.push(
    `HTTP hello: \`wrk -t${o.threads} -c${o.connections} -d${o.durationS}s --latency\`, ${o.rounds} rounds per contender, ` +
      `alternating (A B C ... A B C), after a ${o.warmupS} s warm-up; figure = median round. ` +
      `${r.cores} cores: wrk's one thread needs one core, so the ${o.processes} server processes ` +
      `share what is left (absolute numbers are about what one free core gives; the ratios are the point). ` +
      `Every server was checked to answer 200 \`Hello World\` with Content-Length 11 before the runs. ` +
      `1-minute load average at start: ${r.loadavg.toFixed(2)}.`,
  );
  out.push('');
  out.push('| server | wrk -c | req/s (median) | rounds min-max | p99 (median) | errors |');
  out.push('|---|---|---|---|---|---|');
  for (const x of r.rows.filter((y) => !y.failure)) {
    const mark = x.note === 'starved' ? ' [1]' : '';
    out.push(
      `| ${x.label}${mark} | ${x.connections} | ${fmtRps(x.rps)} | ${fmtRps(x.minRps)}-${fmtRps(x.maxRps)} | ` +
        `${fmtMs(x.p99Ms)} | ${x.errors} |`,
    );
  }
  for (const x of r.rows.filter((y) => y.failure))
    out.push(
      `| ${x.label} | ${x.connections} | stopped after ${x.rounds} of ${o.rounds} rounds: ` +
        `${x.failure.replaceAll('|', '/')} | | | |`,
    );
  for (const u of r.unavailable)
    out.push(`| ${u.label} | - | not run: ${u.reason.replaceAll('|', '/')} | | | |`);
  if (row('uwsgi')) {
    out.push('');
    out.push(
      `[1] uWSGI's sync workers each hold one keep-alive connection for as long as the client keeps ` +
        `sending, so with ${o.connections} connections only ${o.processes} are served and the rest wait ` +
        `unanswered in the accept queue (wrk does not count them): its req/s is its real ceiling, its p99 ` +
        `covers only the served connections. The -c${o.processes} row is uWSGI at its natural load; ` +
        `the ratio below uses the better of the two.`,
    );
  }

  const ratios = [];
  const ratio = (line, a, b, target) => {
    if (!a || !b || !Number.isFinite(a.rps) || !Number.isFinite(b.rps)) return;
    const v = a.rps / b.rps;
    const verdict = target === undefined ? 'for information' : v >= target ? 'pass' : '**FAIL**';
    ratios.push(
      `| ${line} | ${v.toFixed(2)}x | ${target === undefined ? '-' : `>= ${target}x`} | ${verdict} |`,
    );
  };
  const cluster = row('cluster');
  const uwsgiBest = [row('uwsgi'), row('uwsgi-cN')].filter(Boolean).sort((a, b) => b.rps - a.rps)[0];
  for (const [k, name] of [
    ['ts-node', 'Node-style'],
    ['ts-fetch', 'fetch-style'],
  ]) {
    ratio(`uwsgi-ts (${name}) / node:http cluster, req/s`, row(k), cluster, 0.9);
    if (uwsgiBest)
      ratio(
        `uwsgi-ts (${name}) / uWSGI python3 (wrk -c${uwsgiBest.connections}), req/s`,
        row(k),
        uwsgiBest,
        1.3,
      );
  }
  ratio('nginx -> uwsgi-ts / nginx -> uWSGI, req/s', row('nx-ts'), row('nx-uwsgi'));
  const base = r.rss.find((x) => x.key === 'single');
  if (base) {
    for (const k of ['ts-node', 'ts-fetch']) {
      const w = r.rss.find((x) => x.key === k);
      if (!w) continue;
      const v = Math.max(...w.kb) / base.kb[0];
      ratios.push(
        `| ${w.label}: largest worker RSS / bare node:http RSS | ${v.toFixed(2)}x | <= 1.25x | ${v <= 1.25 ? 'pass' : '**FAIL**'} |`,
      );
    }
  }
  if (ratios.length > 0) {
    out.push('');
    out.push('| acceptance line | measured | target | verdict |');
    out.push('|---|---|---|---|');
    out.push(...ratios);
  }

  if (r.rss.length > 0) {
    out.push('');
    out.push('RSS after the load above (VmRSS from /proc/PID/status; workers = `pgrep -P` of the master):');
    out.push('');
    out.push('| processes | per worker | master |');
    out.push('|---|---|---|');
    for (const x of r.rss)
      out.push(
        `| ${x.label} | ${x.kb.map(fmtMb).join(', ')} | ${x.masterKb === undefined ? '-' : fmtMb(x.masterKb)} |`,
      );
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchHttpHello();
  console.log(httpHelloTables(r));
}
