// A fastrouter process (`fastrouter = ADDR`; seed manual "The uWSGI FastRouter"): uwsgi in, uwsgi
// out. Its row of the corerouter (../corerouter/corerouter-main.ts): the key is read from the
// packet's vars block (packet-key.ts); what was read is written to the backend first, then both
// ways are piped untouched.

import net from 'node:net';
import { type KeyRead, runCoreRouter } from '../corerouter/corerouter-main.js';
import { packetKey } from './packet-key.js';

runCoreRouter({
  name: 'fastrouter',
  halfOpen: false,
  server: (_listener, onSession) => net.createServer({ noDelay: true }, onSession),
  readKey: (client, p) =>
    new Promise<KeyRead>((resolve) => {
      let seen: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
        const k = packetKey(seen, p.bufferSize);
        if (k.kind === 'more') return;
        client.off('data', onData);
        client.pause();
        resolve(k.kind === 'bad' ? { kind: 'bad', why: k.why } : { kind: 'key', key: k.key, head: seen });
      };
      client.on('data', onData);
    }),
});
