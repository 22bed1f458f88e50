// Issue 15 point 4: subscriptions across network namespaces. Two namespaces joined by a veth pair,
// our router in one (10.211.N.1), an instance in the other (10.211.N.2) subscribing to it over
// the veth; a client inside the router's namespace is served by the instance. Needs root and
// iproute2's `ip` (skipped otherwise); the namespaces are removed in `after`, even on failure.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';

function hasIp(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const root = process.getuid?.() === 0;
// CI installs iproute2 (.ci/run): there a missing `ip` fails the test instead of skipping it
if (root && !hasIp() && process.env['UWSGI_TS_REQUIRE_IPROUTE'])
  throw new Error('iproute2 (`ip`) is required (UWSGI_TS_REQUIRE_IPROUTE is set)');
/** Why namespaces cannot be made here (a container without CAP_SYS_ADMIN), or undefined. */
function netnsRefused(): string | undefined {
  const probe = `uwsgi-ts-probe-${process.pid}`;
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('ip', ['netns', 'delete', probe], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim();
    return `network namespaces are not permitted here (ip netns add: ${stderr || String(err)})`;
  }
}
const skip = !root
  ? 'needs root (network namespaces)'
  : !hasIp()
    ? 'iproute2 (`ip`) is missing'
    : (netnsRefused() ?? false);
const NODE_APP = join(REPO, 'test', 'fixtures', 'apps', 'sub-node.mjs');
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A process of ours inside a namespace, with its log. */
function inNamespace(ns: string, args: string[], env: Record<string, string> = {}) {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, ...args], {
    cwd: REPO,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  proc.stdout?.on('data', (d) => {
    log += d;
  });
  proc.stderr?.on('data', (d) => {
    log += d;
  });
  const waitFor = async (re: RegExp, ms = 20_000): Promise<RegExpMatchArray> => {
    const end = Date.now() + ms;
    for (;;) {
      const m = log.match(re);
      if (m) return m;
      if (Date.now() > end) throw new Error(`timed out waiting for ${re} in:\n${log}`);
      await sleep(50);
    }
  };
  return { proc, waitFor, log: () => log };
}

function stop(proc: ChildProcess | undefined): void {
  try {
    if (proc?.pid) process.kill(-proc.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

describe('subscriptions across network namespaces', { timeout: 120_000, skip }, () => {
  const tag = String(process.pid % 10_000);
  const [nsRouter, nsNode] = [`uts-r${tag}`, `uts-n${tag}`];
  const net = `10.211.${process.pid % 250}`;
  const children: ChildProcess[] = [];
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

  before(() => {
    ip('netns', 'add', nsRouter);
    ip('netns', 'add', nsNode);
    ip('link', 'add', `vr${tag}`, 'type', 'veth', 'peer', 'name', `vn${tag}`);
    ip('link', 'set', `vr${tag}`, 'netns', nsRouter);
    ip('link', 'set', `vn${tag}`, 'netns', nsNode);
    ip('-n', nsRouter, 'addr', 'add', `${net}.1/24`, 'dev', `vr${tag}`);
    ip('-n', nsNode, 'addr', 'add', `${net}.2/24`, 'dev', `vn${tag}`);
    for (const [ns, dev] of [
      [nsRouter, `vr${tag}`],
      [nsNode, `vn${tag}`],
    ] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
  });
  after(() => {
    for (const c of children) stop(c);
    // deleting a namespace deletes its end of the veth pair, and with it the peer
    for (const ns of [nsRouter, nsNode]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // not created
      }
    }
  });

  it('an instance in one namespace subscribes to our router in the other and serves', async () => {
    const router = inNamespace(nsRouter, [
      '--http',
      `${net}.1:0`,
      '--http-subscription-server',
      `${net}.1:0`,
      '--master',
    ]);
    children.push(router.proc);
    const port = Number((await router.waitFor(/uWSGI http bound on \S*:(\d+) fd/))[1]);
    const subPort = Number((await router.waitFor(/uWSGI http subscription server bound on \S*:(\d+) fd/))[1]);
    const node = inNamespace(
      nsNode,
      [
        '--socket',
        `${net}.2:0`,
        '--app',
        NODE_APP,
        '--master',
        '--subscribe2',
        `server=${net}.1:${subPort},key=ns.example`,
        '--subscribe-freq',
        '1',
      ],
      { SUB_NODE: `node in ${nsNode}` },
    );
    children.push(node.proc);
    // the node announces its own namespace's address; the router reaches it over the veth
    await router.waitFor(new RegExp(`ns\\.example => new node: ${net.replaceAll('.', '\\.')}\\.2:\\d+`));
    // the client runs inside the router's namespace: the root namespace has no route to it
    // (node:http: fetch would not send our Host header)
    const client = `require('http').get({ host: '${net}.1', port: ${port}, headers: { Host: 'ns.example' } }, (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => console.log(r.statusCode, b)); })`;
    const tries: string[] = [];
    for (let i = 0; i < 20 && !tries.at(-1)?.startsWith('200'); i++) {
      if (i > 0) await sleep(250);
      tries.push(
        execFileSync('ip', ['netns', 'exec', nsRouter, process.execPath, '-e', client], {
          encoding: 'utf8',
          timeout: 20_000,
        }).trim(),
      );
    }
    assert.equal(
      tries.at(-1),
      `200 node in ${nsNode}`,
      `${tries.join('\n')}\n${router.log()}\n${node.log()}`,
    );
    await node.waitFor(/GET \/ /);
  });
});
