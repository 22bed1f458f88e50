// The cache against the real CLI (issue "Shared services" acceptance): workers see each other's
// writes at once, a `store` survives a restart, expired keys disappear, purge_lru evicts the least
// recently used, a full cache refuses and logs, caches show in stats, the magic protocol (m2 17)
// serves other nodes, and the real uWSGI reads our cache while we read its cache.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { tempFiles } from '../helpers/cli.js';
import { httpGet } from '../helpers/http.js';
import { type RunningServer, startServer } from '../helpers/server.js';

const APP = 'test/fixtures/apps/cache.mjs';
const base = ['--http-socket', '127.0.0.1:0', '--app', APP, '--disable-logging'];
const get = async (server: RunningServer, path: string) => (await httpGet(server.port, path)).body;

function stats(
  port: number,
): Promise<{ locks: Array<Record<string, number>>; caches?: Array<Record<string, unknown>> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
    });
    socket.on('end', () => resolve(JSON.parse(text)));
    socket.on('error', reject);
  });
}

test('two workers see each other’s writes at once; counters are exact; stats show the cache', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer([
    ...base,
    '--master',
    '--processes',
    '2',
    '--cache2',
    'name=shared,items=100,blocksize=1024',
    '--stats',
    '127.0.0.1:0',
  ]);
  t.after(() => server.close());
  assert.match(server.log(), /\*\*\* Cache "shared" initialized: \d+MB/);
  const pids = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const reply = await httpGet(server.port, `/set?k=key${i}&v=value${i}`);
    assert.equal(reply.body, 'true');
    pids.add(String(reply.headers['x-pid']));
    // read right after, on fresh connections that land on any worker
    const reads = await Promise.all(Array.from({ length: 4 }, () => httpGet(server.port, `/get?k=key${i}`)));
    for (const r of reads) {
      assert.equal(r.body, `value${i}`);
      pids.add(String(r.headers['x-pid']));
    }
  }
  assert.ok(pids.size >= 2, 'both workers took part');
  const incs = await Promise.all(Array.from({ length: 8 }, () => get(server, '/inc?k=hits&n=250')));
  assert.ok(incs.every((n) => Number(n) <= 2000));
  assert.equal(await get(server, '/inc?k=hits&n=0'), '2000');
  assert.equal(await get(server, '/set?k=key1&v=other'), 'false', 'set keeps an existing key');
  assert.equal(await get(server, '/update?k=key1&v=other'), 'true');
  assert.equal(await get(server, '/get?k=key1'), 'other');
  assert.equal(await get(server, '/del?k=key1'), 'true');
  assert.equal(await get(server, '/exists?k=key1'), 'false');
  assert.match(await get(server, '/get?k=x&c=nope'), /^error ERR_CACHE_UNKNOWN/);

  const statsPort = Number(/Stats server enabled on [^:]*:(\d+) fd/.exec(server.log())?.[1]);
  const doc = await stats(statsPort);
  assert.deepEqual(Object.keys(doc.caches?.[0] ?? {}), [
    'name',
    'hash',
    'hashsize',
    'keysize',
    'max_items',
    'blocks',
    'blocksize',
    'items',
    'hits',
    'miss',
    'full',
    'last_modified_at',
  ]);
  assert.equal(doc.caches?.[0]?.['name'], 'shared');
  assert.equal(doc.caches?.[0]?.['items'], 20);
  assert.equal(
    Object.keys(doc.locks.at(-1) ?? {})[0],
    'cache_shared',
    'the cache lock closes the list, as uWSGI',
  );
});

test('a cache with store survives a restart', { timeout: 60_000 }, async (t) => {
  const tmp = tempFiles({});
  t.after(tmp.cleanup);
  const store = join(tmp.dir, 'cache.store');
  const args = [...base, '--master', '--cache2', `name=kept,items=10,blocksize=256,store=${store}`];
  const first = await startServer(args);
  assert.match(first.log(), /creating a new cache store file/);
  assert.equal(await get(first, '/set?k=greeting&v=hello'), 'true');
  first.proc.kill('SIGTERM');
  await once(first.proc, 'exit');
  const second = await startServer(args);
  t.after(() => second.close());
  assert.equal(await get(second, '/get?k=greeting'), 'hello');
});

test('expired keys disappear; purge_lru evicts the least recently used; a full cache refuses and logs', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer([
    ...base,
    '--master',
    '--cache-expire-freq',
    '1',
    '--cache2',
    'name=short,items=10,blocksize=64',
    '--cache2',
    'name=lru,items=3,blocksize=64,purge_lru=1',
    '--cache2',
    'name=small,items=2,blocksize=64',
  ]);
  t.after(() => server.close());
  assert.equal(await get(server, '/set?k=a&v=1&e=1&c=short'), 'true');
  assert.equal(await get(server, '/set?k=b&v=2&c=short'), 'true');
  assert.equal(await get(server, '/get?k=a&c=short'), '1');
  const until = Date.now() + 6000;
  while ((await get(server, '/exists?k=a&c=short')) === 'true') {
    assert.ok(Date.now() < until, 'the expired key is still there');
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(await get(server, '/get?k=b&c=short'), '2', 'a key without expiry stays');

  for (const k of ['x', 'y', 'z']) assert.equal(await get(server, `/set?k=${k}&v=${k}&c=lru`), 'true');
  assert.equal(await get(server, '/get?k=x&c=lru'), 'x', 'x is now the most recently used');
  assert.equal(await get(server, '/set?k=w&v=w&c=lru'), 'true');
  assert.equal(await get(server, '/keys?c=lru'), 'w,x,z', 'y, the least recently used, went');
  await server.waitFor(/LRU item will be purged from cache "lru"/);

  assert.equal(await get(server, '/set?k=p&v=1&c=small'), 'true');
  assert.equal(await get(server, '/set?k=q&v=2&c=small'), 'true', 'items=2 holds 2 keys (uWSGI: 1)');
  assert.equal(await get(server, '/set?k=r&v=3&c=small'), 'false');
  await server.waitFor(/\*\*\* DANGER cache "small" is FULL !!! \*\*\*/);
});

function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

test('the cache over the network: raw packets, and one instance reading another', {
  timeout: 60_000,
}, async (t) => {
  const node = await startServer([...base, '--socket', '127.0.0.1:0', '--cache2', 'name=remote,items=10']);
  t.after(() => node.close());
  const socketPort = node.ports[1] ?? 0;
  assert.equal(await get(node, '/set?k=foo&v=bar'), 'true');
  // reference §1.5 simple get `6f 0300 00 | foo`: our reply carries its documented header
  const simple = await exchange(socketPort, Buffer.from('6f030000666f6f', 'hex'));
  assert.equal(simple.subarray(4).toString(), 'bar');
  // a miss closes without a byte
  assert.equal((await exchange(socketPort, Buffer.from('6f03000078797a', 'hex'))).length, 0);

  const client = await startServer([...base, '--cache2', 'name=local,items=10']);
  t.after(() => client.close());
  const addr = encodeURIComponent(`remote@127.0.0.1:${socketPort}`);
  assert.equal(await get(client, `/remote?addr=${addr}&op=get&k=foo`), 'bar');
  assert.equal(await get(client, `/remote?addr=${addr}&op=set&k=new&v=fromclient`), 'true');
  assert.equal(await get(node, '/get?k=new'), 'fromclient');
  assert.equal(await get(client, `/remote?addr=${addr}&op=get&k=missing`), '(none)');
});

const hasUwsgi = () => spawnSync('uwsgi', ['--version'], { stdio: 'ignore' }).status === 0;

describe('interop with the real uWSGI 2.0.21', {
  skip: !hasUwsgi() && 'uWSGI is not installed',
  timeout: 60_000,
}, () => {
  test('uWSGI reads and writes our cache; we read and write uWSGI’s', async (t) => {
    const ours = await startServer([...base, '--socket', '127.0.0.1:0', '--cache2', 'name=ours,items=10']);
    t.after(() => ours.close());
    const ourSocket = ours.ports[1] ?? 0;
    const proc = spawn(
      'uwsgi',
      [
        // Debian ships the cache's modifier1 111 server as a plugin
        '--plugin',
        'python3,cache',
        '--http-socket',
        '127.0.0.1:0',
        '--socket',
        '127.0.0.1:0',
        '--wsgi-file',
        'test/fixtures/cache/uwsgi_cache_interop.py',
        '--cache2',
        'name=local,items=10',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(() => {
      proc.kill('SIGKILL');
    });
    let log = '';
    proc.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const until = Date.now() + 15_000;
    while (!/spawned uWSGI worker 1/.test(log)) {
      assert.ok(Date.now() < until, `uWSGI did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const ports = [...log.matchAll(/bound to TCP address 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    const [theirHttp = 0, theirSocket = 0] = ports;

    assert.equal(await get(ours, '/set?k=k1&v=from-uwsgi-ts'), 'true');
    const theirs = (query: string) => httpGet(theirHttp, `/?${query}`).then((r) => r.body);
    const ourAddr = encodeURIComponent(`ours@127.0.0.1:${ourSocket}`);
    assert.equal(await theirs(`op=get&k=k1&cache=${ourAddr}`), 'from-uwsgi-ts');
    assert.equal(await theirs(`op=get&k=nothing&cache=${ourAddr}`), 'NONE');
    assert.equal(await theirs(`op=set&k=k2&v=from-uwsgi&cache=${ourAddr}`), 'OK');
    assert.equal(await get(ours, '/get?k=k2'), 'from-uwsgi');

    assert.equal(await theirs('op=set&k=t1&v=theirs&cache=local'), 'OK');
    const theirAddr = encodeURIComponent(`local@127.0.0.1:${theirSocket}`);
    assert.equal(await get(ours, `/remote?addr=${theirAddr}&op=get&k=t1`), 'theirs');
    assert.equal(await get(ours, `/remote?addr=${theirAddr}&op=set&k=t2&v=ours`), 'true');
    assert.equal(await theirs('op=get&k=t2&cache=local'), 'ours');
  });
});
