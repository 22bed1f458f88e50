// CIDR membership for the `ipv4in` / `ipv6in` conditions (reference §4.3): `addr;net[/prefix]`,
// no prefix meaning the whole address. An address that does not parse is never inside.

import { isIPv4, isIPv6 } from 'node:net';

function v4Bytes(addr: string): number[] | undefined {
  if (!isIPv4(addr)) return undefined;
  return addr.split('.').map(Number);
}

function v6Bytes(addr: string): number[] | undefined {
  const zone = addr.indexOf('%');
  const a = zone < 0 ? addr : addr.slice(0, zone);
  if (!isIPv6(a)) return undefined;
  let text = a;
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = v4Bytes(dotted[2] as string);
    if (!b) return undefined;
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = b;
    text = `${dotted[1]}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const words = rest === undefined ? h : [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  const bytes: number[] = [];
  for (const w of words) bytes.push((w >> 8) & 0xff, w & 0xff);
  return bytes;
}

function inRange(addr: number[] | undefined, net: number[] | undefined, prefix: number): boolean {
  if (!addr || !net || addr.length !== net.length) return false;
  if (!(prefix >= 0 && prefix <= addr.length * 8)) return false;
  for (let bit = 0; bit < prefix; bit += 8) {
    const bits = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    const i = bit / 8;
    if (((addr[i] as number) & mask) !== ((net[i] as number) & mask)) return false;
  }
  return true;
}

function split(cidr: string, max: number): [string, number] {
  const slash = cidr.indexOf('/');
  if (slash < 0) return [cidr, max];
  const bits = cidr.slice(slash + 1);
  return [cidr.slice(0, slash), /^\d+$/.test(bits) ? Number(bits) : -1];
}

/** `addr` lies in the IPv4 network `cidr` (`10.0.0.0/8`, or one address). */
export function ipv4In(addr: string, cidr: string): boolean {
  const [net, prefix] = split(cidr, 32);
  return inRange(v4Bytes(addr), v4Bytes(net), prefix);
}

/** `addr` lies in the IPv6 network `cidr` (`2001:db8::/32`, or one address). */
export function ipv6In(addr: string, cidr: string): boolean {
  const [net, prefix] = split(cidr, 128);
  return inRange(v6Bytes(addr), v6Bytes(net), prefix);
}
