// subscribe2 and the balancing algorithms (issue 15 point 4): uWSGI 2.0.21's subscribe2 announce
// (test/fixtures/gateway/subscribe2-uwsgi-2.0.21.json) read by our table and written again byte for
// byte by our codec; lrc/wlrc/iphash and backup levels on the table. Bytes in, facts out.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { announcePacket, parseSubscribe2 } from '../../../src/gateway/subscribe-to.js';
import { checkSigned, parseSignSpec, signVars } from '../../../src/gateway/subscription-sign.js';
import { type Announce, parseAnnounce, SubscriptionTable } from '../../../src/gateway/subscriptions.js';
import { REPO } from '../../helpers/cli.js';

const fixture = JSON.parse(
  readFileSync(join(REPO, 'test', 'fixtures', 'gateway', 'subscribe2-uwsgi-2.0.21.json'), 'utf8'),
) as { option: string; own_socket: string; announce: string; unsubscribe_at_stop: string };

describe("subscribe2: uWSGI 2.0.21's bytes", () => {
  it('our table reads the announce and the unsubscribe', () => {
    const a = parseAnnounce(Buffer.from(fixture.announce, 'base64'));
    assert.ok(typeof a !== 'string', String(a));
    assert.equal(a.key, 'u2.example');
    assert.equal(a.address, fixture.own_socket);
    assert.equal(a.weight, 3);
    assert.equal(a.modifier1, 5);
    assert.equal(a.modifier2, 2);
    assert.equal(a.unsubscribe, false);
    const u = parseAnnounce(Buffer.from(fixture.unsubscribe_at_stop, 'base64'));
    assert.ok(typeof u !== 'string' && u.unsubscribe);
  });

  it('our codec writes the same bytes for the same subscribe2 line', () => {
    const t = parseSubscribe2(fixture.option.replace('PORT', '9999'));
    assert.ok(typeof t !== 'string', String(t));
    assert.deepEqual(t.server, { host: '127.0.0.1', port: 9999 });
    assert.equal(announcePacket(t.key, fixture.own_socket, 1, false, t).toString('base64'), fixture.announce);
    assert.equal(
      announcePacket(t.key, fixture.own_socket, 1, true, t).toString('base64'),
      fixture.unsubscribe_at_stop,
    );
  });

  it('lines that do not read say why', () => {
    assert.match(String(parseSubscribe2('key=a')), /server=HOST:PORT and key=KEY/);
    assert.match(String(parseSubscribe2('server=:1,key=a,weight=x')), /weight=x is not a number/);
    assert.match(String(parseSubscribe2('server=:1,key=a,bogus=1')), /key "bogus" is not served/);
    assert.match(String(parseSubscribe2('server=:1,key')), /"key" is not key=value/);
  });
});

describe('subscription-algo on the table', () => {
  const base: Omit<Announce, 'address' | 'weight'> = {
    unsubscribe: false,
    key: 'k',
    modifier1: 0,
    modifier2: 0,
    cores: 1,
    load: 0,
    backup: 0,
  };
  const table = (algo: 'wrr' | 'lrc' | 'wlrc' | 'iphash') =>
    new SubscriptionTable(30_000, () => {}, Date.now, algo);

  it('lrc: the node with the fewest requests in flight; release gives one back', () => {
    const t = table('lrc');
    t.apply({ ...base, address: 'a:1', weight: 1 });
    t.apply({ ...base, address: 'b:1', weight: 1 });
    const first = t.order('k')[0];
    assert.ok(first);
    // while the first is in flight every pick goes to the other one
    const next = [t.order('k')[0], t.order('k')[0]].map((n) => n?.name);
    assert.equal(next[0], first.name === 'a:1' ? 'b:1' : 'a:1');
    assert.equal(next[1], first.name);
  });

  it('wlrc: in flight divided by the weight (weights 1 and 3: 1 and 3 of 4 held requests)', () => {
    const t = table('wlrc');
    t.apply({ ...base, address: 'a:1', weight: 1 });
    t.apply({ ...base, address: 'b:1', weight: 3 });
    const held = Array.from({ length: 4 }, () => t.order('k')[0]?.name);
    assert.equal(held.filter((n) => n === 'a:1').length, 1);
    assert.equal(held.filter((n) => n === 'b:1').length, 3);
  });

  it('iphash: one client keeps its node; clients spread over both', () => {
    const t = table('iphash');
    t.apply({ ...base, address: 'a:1', weight: 1 });
    t.apply({ ...base, address: 'b:1', weight: 1 });
    const clients = Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}`);
    for (const c of clients) {
      const picks = new Set(Array.from({ length: 5 }, () => t.order('k', c)[0]?.name));
      assert.equal(picks.size, 1, c);
    }
    assert.equal(new Set(clients.map((c) => t.order('k', c)[0]?.name)).size, 2);
  });

  it('backup levels: a backup node only when no node of a lower level is left', () => {
    const t = table('wrr');
    t.apply({ ...base, address: 'main:1', weight: 1 });
    t.apply({ ...base, address: 'spare:1', weight: 1, backup: 1 });
    for (let i = 0; i < 4; i++)
      assert.deepEqual(
        t.order('k').map((n) => n.name),
        ['main:1', 'spare:1'],
      );
    t.apply({ ...base, unsubscribe: true, address: 'main:1', weight: 1 });
    assert.deepEqual(
      t.order('k').map((n) => n.name),
      ['spare:1'],
    );
  });
});

describe("signed subscriptions: uWSGI 2.0.21's bytes", () => {
  const signed = JSON.parse(
    readFileSync(join(REPO, 'test', 'fixtures', 'gateway', 'subscribe2-sign-uwsgi-2.0.21.json'), 'utf8'),
  ) as { announce: string; unix: number; private_key: string; public_key: string; own_socket: string };
  const packet = Buffer.from(signed.announce, 'base64');
  const vars = packet.subarray(4, 4 + packet.readUInt16LE(1));

  it("our check verifies uWSGI's signature and refuses a changed byte or another key", () => {
    const pub = createPublicKey(signed.public_key);
    assert.deepEqual(checkSigned(vars, 'sha1', pub), { unix: signed.unix });
    const changed = Buffer.from(vars);
    changed[10] = (changed[10] ?? 0) ^ 1;
    assert.equal(checkSigned(changed, 'sha1', pub), 'bad signature');
    const other = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    assert.equal(checkSigned(vars, 'sha1', other), 'bad signature');
    const a = parseAnnounce(packet);
    assert.ok(typeof a !== 'string' && a.key === 'sig.example');
  });

  it('our signer writes the same bytes for the same key and time (PKCS#1 v1.5 is deterministic)', () => {
    const unsigned = vars.subarray(0, vars.indexOf(Buffer.from('\x04\x00unix', 'latin1')));
    const ours = signVars(unsigned, 'sha1', createPrivateKey(signed.private_key), signed.unix);
    assert.equal(ours.toString('base64'), vars.toString('base64'));
    const t = parseSubscribe2('server=:1,key=sig.example,sign=SHA1:/x.pem');
    assert.ok(typeof t !== 'string');
    assert.deepEqual(t.sign, { digest: 'sha1', path: '/x.pem' });
    assert.match(
      String(parseSubscribe2('server=:1,key=k,sign=NOPE:/x')),
      /sign=NOPE:\/x is not DIGEST:KEYFILE/,
    );
    assert.equal(parseSignSpec('SHA1:'), undefined);
  });
});
