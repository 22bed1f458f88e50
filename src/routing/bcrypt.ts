// bcrypt (`$2a$`, `$2b$`, `$2y$`: the OpenBSD scheme) for htpasswd files: EksBlowfish with 2^cost
// key expansions, then "OrpheanBeholderScryDoubt" encrypted 64 times. Blowfish's initial state is
// pi's hex digits (pi-hex.ts), computed once on first use.

import { piWords } from './pi-hex.js';

const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

let initial: Uint32Array | undefined;

function decode64(text: string, bytes: number): Uint8Array | undefined {
  const out = new Uint8Array(bytes);
  let acc = 0;
  let n = 0;
  let o = 0;
  for (const ch of text) {
    const v = B64.indexOf(ch);
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    n += 6;
    if (n >= 8) {
      n -= 8;
      if (o < bytes) out[o++] = (acc >> n) & 0xff;
    }
  }
  return o === bytes ? out : undefined;
}

function encode64(data: Uint8Array): string {
  let out = '';
  let acc = 0;
  let n = 0;
  for (const b of data) {
    acc = (acc << 8) | b;
    n += 8;
    while (n >= 6) {
      n -= 6;
      out += B64[(acc >> n) & 0x3f];
    }
    acc &= (1 << n) - 1;
  }
  if (n > 0) out += B64[(acc << (6 - n)) & 0x3f];
  return out;
}

class Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;

  constructor() {
    initial ??= piWords(18 + 1024);
    this.p = initial.slice(0, 18);
    this.s = initial.slice(18);
  }

  encrypt(lr: Uint32Array, at: number): void {
    const p = this.p;
    const s = this.s;
    let l = lr[at] as number;
    let r = lr[at + 1] as number;
    // F(x) = ((S0[a] + S1[b]) ^ S2[c]) + S3[d], unrolled two rounds at a time
    for (let i = 0; i < 16; i += 2) {
      l ^= p[i] as number;
      r ^=
        ((((s[l >>> 24] as number) + (s[256 | ((l >>> 16) & 0xff)] as number)) ^
          (s[512 | ((l >>> 8) & 0xff)] as number)) +
          (s[768 | (l & 0xff)] as number)) ^
        (p[i + 1] as number);
      l ^=
        (((s[r >>> 24] as number) + (s[256 | ((r >>> 16) & 0xff)] as number)) ^
          (s[512 | ((r >>> 8) & 0xff)] as number)) +
        (s[768 | (r & 0xff)] as number);
    }
    lr[at] = r ^ (p[17] as number);
    lr[at + 1] = l ^ (p[16] as number);
  }

  /** Blowfish's key schedule, with bcrypt's salt mixing when `salt` is given. */
  expand(key: Uint8Array, salt: Uint8Array | undefined): void {
    let ki = 0;
    const keyWord = () => {
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = ((w << 8) | (key[ki] as number)) >>> 0;
        ki = (ki + 1) % key.length;
      }
      return w;
    };
    let si = 0;
    const saltWord = () => {
      if (salt === undefined) return 0;
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = ((w << 8) | (salt[si] as number)) >>> 0;
        si = (si + 1) % salt.length;
      }
      return w;
    };
    for (let i = 0; i < 18; i++) this.p[i] = ((this.p[i] as number) ^ keyWord()) >>> 0;
    const lr = new Uint32Array(2);
    const fill = (target: Uint32Array) => {
      for (let i = 0; i < target.length; i += 2) {
        lr[0] = ((lr[0] as number) ^ saltWord()) >>> 0;
        lr[1] = ((lr[1] as number) ^ saltWord()) >>> 0;
        this.encrypt(lr, 0);
        target[i] = lr[0] as number;
        target[i + 1] = lr[1] as number;
      }
    };
    fill(this.p);
    fill(this.s);
  }
}

/** The full bcrypt hash of `password` with the version, cost and salt of `setting`, or undefined. */
export function bcrypt(password: Uint8Array, setting: string): string | undefined {
  const m = /^\$(2[aby])\$(\d\d)\$([./A-Za-z0-9]{22})/.exec(setting);
  if (!m) return undefined;
  const cost = Number(m[2]);
  if (cost < 4 || cost > 31) return undefined;
  const salt = decode64(m[3] as string, 16);
  if (salt === undefined) return undefined;
  const key = new Uint8Array(Math.min(72, password.length + 1));
  key.set(password.subarray(0, key.length - 1));
  const bf = new Blowfish();
  bf.expand(key, salt);
  for (let i = 0; i < 2 ** cost; i++) {
    bf.expand(key, undefined);
    bf.expand(salt, undefined);
  }
  const text = Buffer.from('OrpheanBeholderScryDoubt', 'latin1');
  const words = new Uint32Array(6);
  for (let i = 0; i < 6; i++) words[i] = text.readUInt32BE(i * 4);
  for (let round = 0; round < 64; round++) for (let i = 0; i < 6; i += 2) bf.encrypt(words, i);
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(words[i] as number, i * 4);
  return `$${m[1]}$${m[2]}$${encode64(salt).slice(0, 22)}${encode64(out.subarray(0, 23))}`;
}
