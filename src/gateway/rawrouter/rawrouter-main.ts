// A rawrouter process (`rawrouter = ADDR`; seed manual "scaling SSL", reference §2.11): a plain
// TCP proxy on the corerouter (../corerouter/corerouter-main.ts). There is no key: the backend is
// chosen and connected as soon as the client is accepted, before it sends a byte, so protocols
// where the server speaks first (SMTP, FTP, a TLS terminator's ServerHello after ClientHello)
// pass through.

import net from 'node:net';
import { runCoreRouter } from '../corerouter/corerouter-main.js';

const EMPTY = Buffer.alloc(0);

runCoreRouter({
  name: 'rawrouter',
  halfOpen: true,
  server: (_listener, onSession) => net.createServer({ noDelay: true, allowHalfOpen: true }, onSession),
  readKey: async () => ({ kind: 'key', key: '', head: EMPTY }),
});
