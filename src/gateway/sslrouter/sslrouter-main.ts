// An sslrouter process (`sslrouter = ADDR,CERT,KEY[,CIPHERS,CA]`; seed manual "works in the same
// way as the rawrouter one, but will terminate ssl connections"): node:tls ends the TLS session
// and the clear stream is piped to the backend as the rawrouter does. With `sslrouter-sni` the
// key is the name the client asked for (SNI), for subscriptions, use-pattern and use-base.

import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { runCoreRouter } from '../corerouter/corerouter-main.js';

const EMPTY = Buffer.alloc(0);

runCoreRouter({
  name: 'sslrouter',
  halfOpen: true,
  server: (listener, onSession) => {
    const t = listener.tls;
    if (!t) throw new Error(`sslrouter ${listener.raw} has no certificate`);
    return tls.createServer(
      {
        cert: readFileSync(t.cert),
        key: readFileSync(t.key),
        ...(t.ciphers ? { ciphers: t.ciphers } : {}),
        // a CA asks for the client's certificate and checks it (the 5th field, as the https one's)
        ...(t.ca ? { ca: readFileSync(t.ca), requestCert: true, rejectUnauthorized: true } : {}),
        allowHalfOpen: true,
      },
      (socket) => onSession(socket as net.Socket),
    );
  },
  readKey: async (client, p) => {
    const name = (client as tls.TLSSocket).servername;
    return { kind: 'key', key: p.sni && typeof name === 'string' ? name : '', head: EMPTY };
  },
});
