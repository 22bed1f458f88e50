// The PROXY protocol header a load balancer puts before the client's bytes (HAProxy's
// proxy-protocol.txt, v1 text and v2 binary), as `http-enable-proxy-protocol` accepts it. A codec:
// it reads bytes and says what it found; the router decides what to do with the connection.

export interface ProxiedPeer {
  readonly address: string;
  readonly port: number;
}

export type ProxyHeader =
  /** Not enough bytes yet to tell. */
  | { readonly kind: 'more' }
  /** The bytes do not start with a PROXY header. */
  | { readonly kind: 'none' }
  | { readonly kind: 'bad'; readonly why: string }
  /** `peer` is undefined for UNKNOWN (v1) and LOCAL (v2): the connection's own address stands. */
  | { readonly kind: 'header'; readonly length: number; readonly peer: ProxiedPeer | undefined };

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** v1: the whole line, CRLF included, is at most 107 bytes. */
const V1_MAX = 107;

function isPrefix(data: Buffer, signature: Buffer): 'yes' | 'no' | 'maybe' {
  const n = Math.min(data.length, signature.length);
  for (let i = 0; i < n; i++) if (data[i] !== signature[i]) return 'no';
  return n === signature.length ? 'yes' : 'maybe';
}

function parseV1(data: Buffer): ProxyHeader {
  const end = data.indexOf('\r\n', 0, 'latin1');
  if (end < 0)
    return data.length >= V1_MAX ? { kind: 'bad', why: 'PROXY v1 line too long' } : { kind: 'more' };
  const fields = data.toString('latin1', 0, end).split(' ');
  const length = end + 2;
  if (fields[1] === 'UNKNOWN') return { kind: 'header', length, peer: undefined };
  if ((fields[1] !== 'TCP4' && fields[1] !== 'TCP6') || fields.length !== 6) {
    return { kind: 'bad', why: `bad PROXY v1 line "${data.toString('latin1', 0, end)}"` };
  }
  const port = Number(fields[4]);
  if (!/^\d{1,5}$/.test(fields[4] ?? '') || port > 65535)
    return { kind: 'bad', why: 'bad PROXY v1 source port' };
  return { kind: 'header', length, peer: { address: fields[2] ?? '', port } };
}

function ipv6(bytes: Buffer, at: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(bytes.readUInt16BE(at + i * 2).toString(16));
  return groups.join(':');
}

function parseV2(data: Buffer): ProxyHeader {
  if (data.length < 16) return { kind: 'more' };
  const versionCommand = data[12] ?? 0;
  if (versionCommand >> 4 !== 2) return { kind: 'bad', why: 'PROXY v2 header with a bad version' };
  const length = 16 + data.readUInt16BE(14);
  if (data.length < length) return { kind: 'more' };
  // LOCAL (health checks from the balancer itself): the connection's own address stands
  if ((versionCommand & 0x0f) === 0) return { kind: 'header', length, peer: undefined };
  const family = (data[13] ?? 0) >> 4;
  if (family === 1 && length >= 16 + 12) {
    const address = `${data[16]}.${data[17]}.${data[18]}.${data[19]}`;
    return { kind: 'header', length, peer: { address, port: data.readUInt16BE(24) } };
  }
  if (family === 2 && length >= 16 + 36) {
    return { kind: 'header', length, peer: { address: ipv6(data, 16), port: data.readUInt16BE(48) } };
  }
  // UNSPEC or unix addresses: nothing to report
  return { kind: 'header', length, peer: undefined };
}

/** What the first bytes of a connection hold. */
export function parseProxyHeader(data: Buffer): ProxyHeader {
  const v2 = isPrefix(data, V2_SIGNATURE);
  if (v2 === 'yes') return parseV2(data);
  const v1 = isPrefix(data, V1_PREFIX);
  if (v1 === 'yes') return parseV1(data);
  return v2 === 'maybe' || v1 === 'maybe' ? { kind: 'more' } : { kind: 'none' };
}

/** Does a connection start like a PROXY header (v1 or v2)? For refusing one when not enabled. */
export function looksLikeProxyHeader(data: Buffer): boolean {
  return isPrefix(data, V2_SIGNATURE) !== 'no' || isPrefix(data, V1_PREFIX) === 'yes';
}
