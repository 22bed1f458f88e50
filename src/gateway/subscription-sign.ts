// Signed subscriptions (`subscribe2 ... sign=DIGEST:PRIVATE_KEY_FILE` on the instance,
// `subscriptions-sign-check = DIGEST:CERT_DIR` on the router). As uWSGI 2.0.21 sends them
// (recorded: test/fixtures/gateway/subscribe2-sign-uwsgi-2.0.21.json): the vars block gets `unix`
// (the time in seconds) and then `sign`, an RSA signature (PKCS#1 v1.5, DIGEST) of every vars
// byte before the `sign` var; the router checks it with CERT_DIR/KEY.pem (the key's public key)
// and drops what does not verify. A codec: no sockets.

import crypto from 'node:crypto';

/** `SHA1:/path` -> the digest name for node:crypto and the path. */
export function parseSignSpec(spec: string): { digest: string; path: string } | undefined {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) return undefined;
  const digest = spec.slice(0, colon).toLowerCase();
  if (!crypto.getHashes().includes(digest)) return undefined;
  return { digest, path: spec.slice(colon + 1) };
}

function varBytes(name: string, value: Buffer): Buffer {
  const head = Buffer.alloc(2 + name.length + 2);
  head.writeUInt16LE(name.length, 0);
  head.write(name, 2, 'latin1');
  head.writeUInt16LE(value.length, 2 + name.length);
  return Buffer.concat([head, value]);
}

/** The vars block with `unix` and `sign` appended. */
export function signVars(vars: Buffer, digest: string, privateKey: crypto.KeyObject, nowS: number): Buffer {
  const signed = Buffer.concat([vars, varBytes('unix', Buffer.from(String(nowS), 'latin1'))]);
  const signature = crypto.sign(digest, signed, privateKey);
  return Buffer.concat([signed, varBytes('sign', signature)]);
}

/** The `unix` time and the signature of a vars block, and the bytes the signature covers. */
export function signedPart(vars: Buffer): { unix: number; signature: Buffer; covered: Buffer } | undefined {
  let at = 0;
  let unix: number | undefined;
  while (at + 4 <= vars.length) {
    const start = at;
    const kl = vars.readUInt16LE(at);
    const name = vars.toString('latin1', at + 2, at + 2 + kl);
    at += 2 + kl;
    if (at + 2 > vars.length) return undefined;
    const vl = vars.readUInt16LE(at);
    at += 2;
    if (at + vl > vars.length) return undefined;
    const value = vars.subarray(at, at + vl);
    at += vl;
    if (name === 'unix') unix = Number(value.toString('latin1'));
    else if (name === 'sign') {
      if (unix === undefined || !Number.isFinite(unix)) return undefined;
      return { unix, signature: Buffer.from(value), covered: vars.subarray(0, start) };
    }
  }
  return undefined;
}

/** Whether a packet's vars carry a signature `publicKey` verifies; the reason when not. */
export function checkSigned(
  vars: Buffer,
  digest: string,
  publicKey: crypto.KeyObject,
): { unix: number } | string {
  const part = signedPart(vars);
  if (!part) return 'not signed';
  try {
    return crypto.verify(digest, part.covered, publicKey, part.signature)
      ? { unix: part.unix }
      : 'bad signature';
  } catch (err) {
    return `bad signature (${(err as Error).message})`;
  }
}
