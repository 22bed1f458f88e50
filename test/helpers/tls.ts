// Self-signed certificates for the TLS tests (https-socket, the HTTPS router, SNI, wss://), made by
// the openssl command line in the test's own temp dir.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Whether the openssl command is there (the tests that need it skip, saying so, when it is not). */
export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** A one-day RSA certificate for `cn` and its key, written as DIR/NAME.crt and DIR/NAME.key. */
export function makeCert(dir: string, name = 'server', cn = 'localhost'): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { timeout: 20_000 },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${String(made.stderr)}`);
  return { cert, key };
}
