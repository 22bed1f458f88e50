// The fastrouter's key (seed manual "The uWSGI FastRouter"): UWSGI_FASTROUTER_KEY if the request
// has it, else HTTP_HOST, read from the vars block of the uwsgi packet (reference §1.1-1.2) without
// decoding the rest. A codec: bytes in, the key (or why not) out.

export type PacketKey =
  | { readonly kind: 'more' }
  | { readonly kind: 'bad'; readonly why: string }
  | { readonly kind: 'key'; readonly key: string; readonly modifier1: number };

export function packetKey(data: Buffer, bufferSize: number): PacketKey {
  if (data.length < 4) return { kind: 'more' };
  const size = data.readUInt16LE(1);
  if (size > bufferSize)
    return { kind: 'bad', why: `invalid request block size: ${size} (max ${bufferSize})` };
  if (data.length < 4 + size) return { kind: 'more' };
  let host = '';
  let key: string | undefined;
  let at = 4;
  const end = 4 + size;
  while (at < end) {
    if (at + 2 > end) return { kind: 'bad', why: 'truncated uwsgi vars block' };
    const kl = data.readUInt16LE(at);
    at += 2;
    if (at + kl + 2 > end) return { kind: 'bad', why: 'truncated uwsgi vars block' };
    const name = data.toString('latin1', at, at + kl);
    at += kl;
    const vl = data.readUInt16LE(at);
    at += 2;
    if (at + vl > end) return { kind: 'bad', why: 'truncated uwsgi vars block' };
    if (name === 'UWSGI_FASTROUTER_KEY') key = data.toString('latin1', at, at + vl);
    else if (name === 'HTTP_HOST') host = data.toString('latin1', at, at + vl);
    at += vl;
  }
  return { kind: 'key', key: key ?? host, modifier1: data[0] ?? 0 };
}
