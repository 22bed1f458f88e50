// The Emperor's benchmark (issue 17): N vassals (1 worker each, a hello app on a unix socket)
// dropped at once into an empty vassals dir; the time until every one of them answers, and the
// Emperor's own RSS once they all serve (plus the whole tree's). Side by side with uWSGI 2.0.21's
// Emperor running python3 hello vassals, when it is installed. Run alone: `node bench/emperor.mjs [N]`.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bin/uwsgi-ts.js', import.meta.url));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function get(socketPath) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

const rssKb = (pid) => {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

const TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux
/** utime + stime + cutime + cstime of `pid` (its children's once they were waited for). */
const cpuTicks = (pid) => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return [11, 12, 13, 14].reduce((s, i) => s + Number(fields[i]), 0);
  } catch {
    return 0;
  }
};

/** Every descendant of `pid` (through /proc/PID/task/PID/children). */
function tree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

const uwsgiTs = {
  command: (vassals) => [process.execPath, [CLI, '--emperor', vassals, '--emperor-freq', '1']],
  vassal: (root, i) => {
    writeFileSync(join(root, 'hello.mjs'), "export default () => new Response('Hello World');\n");
    return `[uwsgi]\nhttp-socket = ${join(root, `v${i}.sock`)}\napp = ${join(root, 'hello.mjs')}\nmaster = true\nprocesses = 1\nvacuum = true\n`;
  },
};

// V8's compile cache (Node 22.1+): the Emperor gives its vassals a dir of its own, under TMPDIR
// (src/emperor/vassal-compile-cache.ts). The first row starts with it empty (cold; on Node 20,
// which has no cache, it is the only uwsgi-ts row); the second is the same Emperor restarted on the
// same dir, which its vassals filled when they stopped (warm); the third has no cache at all
// (NODE_DISABLE_COMPILE_CACHE), what Node 20 has. "CPU used by then" is the whole tree's CPU time
// when the last vassal serves: steadier than the wall clock on a shared machine.
const hasCompileCache = () => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 1);
};

const CONTENDERS = {
  'uwsgi-ts': uwsgiTs,
  'uwsgi-ts, Emperor restarted (compile cache warm)': {
    ...uwsgiTs,
    available: hasCompileCache,
    sameRootAs: 'uwsgi-ts',
  },
  'uwsgi-ts, no compile cache': {
    ...uwsgiTs,
    available: hasCompileCache,
    env: { NODE_DISABLE_COMPILE_CACHE: '1' },
  },
  'uWSGI 2.0.21': {
    available: () =>
      spawnSync('uwsgi', ['--plugin', 'python3', '--version'], { stdio: 'ignore' }).status === 0,
    command: (vassals) => ['uwsgi', ['--emperor', vassals, '--emperor-freq', '1']],
    vassal: (root, i) => {
      writeFileSync(
        join(root, 'hello.py'),
        'def application(e, sr):\n    sr("200 OK", [("Content-Type", "text/plain")])\n    return [b"Hello World"]\n',
      );
      return `[uwsgi]\nplugin = python3\nhttp-socket = ${join(root, `v${i}.sock`)}\nwsgi-file = ${join(root, 'hello.py')}\nmaster = true\nprocesses = 1\nvacuum = true\n`;
    },
  },
};

export async function benchEmperor(count = 50, limitMs = 60_000) {
  const rows = [];
  const roots = new Map();
  for (const [name, c] of Object.entries(CONTENDERS)) {
    if (c.available && !c.available()) continue;
    // BENCH_EMPEROR_ONLY=NAME|NAME...: these contenders only (a before/after comparison of one side)
    const only = process.env['BENCH_EMPEROR_ONLY']?.split('|');
    if (only && !only.includes(name)) continue;
    const reused = c.sameRootAs ? roots.get(c.sameRootAs) : undefined;
    const root = reused ?? mkdtempSync(join(tmpdir(), 'uwsgi-ts-bench-emperor-'));
    roots.set(name, root);
    const vassals = join(root, 'vassals');
    // the same dir (the same Emperor, restarted) starts empty again
    rmSync(vassals, { recursive: true, force: true });
    mkdirSync(vassals);
    const [cmd, args] = c.command(vassals);
    const emperor = spawn(cmd, args, {
      cwd: root,
      stdio: 'ignore',
      detached: true,
      // TMPDIR: the Emperor's compile cache dir goes there, and goes with the root
      env: { ...process.env, TMPDIR: root, ...(c.env ?? {}) },
    });
    await sleep(1500);
    const configs = Array.from({ length: count }, (_, i) => c.vassal(root, i));
    const t0 = performance.now();
    for (const [i, text] of configs.entries()) writeFileSync(join(vassals, `v${i}.ini`), text);
    const serving = new Set();
    while (serving.size < count && performance.now() - t0 < limitMs) {
      await Promise.all(
        configs.map(async (_, i) => {
          if (!serving.has(i) && (await get(join(root, `v${i}.sock`)))) serving.add(i);
        }),
      );
      if (serving.size < count) await sleep(100);
    }
    const allMs = performance.now() - t0;
    // CPU time spent by the whole tree (the Emperor, its vassals, their workers) when the last serves:
    // steadier than the wall clock on a shared machine
    const cpuSeconds = tree(emperor.pid).reduce((s, p) => s + cpuTicks(p), 0) / TICKS;
    await sleep(2000);
    const pids = tree(emperor.pid);
    rows.push({
      name,
      served: serving.size,
      seconds: allMs / 1000,
      cpuSeconds,
      emperorMb: rssKb(emperor.pid) / 1024,
      treeMb: pids.reduce((s, p) => s + rssKb(p), 0) / 1024,
      processes: pids.length,
    });
    try {
      process.kill(-emperor.pid, 'SIGINT');
    } catch {}
    await sleep(3000);
    try {
      process.kill(-emperor.pid, 'SIGKILL');
    } catch {}
  }
  for (const root of new Set(roots.values())) rmSync(root, { recursive: true, force: true });
  return rows;
}

export function emperorTable(rows, count) {
  const lines = [
    `| Emperor, ${count} vassals (1 worker, hello app, unix socket) dropped at once | all serving after | CPU used by then | served | Emperor RSS | whole tree RSS (processes) |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.name} | ${r.seconds.toFixed(1)} s | ${r.cpuSeconds.toFixed(1)} s | ${r.served}/${count} | ${r.emperorMb.toFixed(1)} MB | ${(r.treeMb / 1024).toFixed(2)} GB (${r.processes}) |`,
    );
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv[2] ?? 50);
  console.log(emperorTable(await benchEmperor(count), count));
}
