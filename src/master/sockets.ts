// The instance's sockets: what the config asks for (reference §2.1), the ones systemd passed
// (socket activation), and how full each one's listen queue is (cheaper, alarms, stats).

import { formatOrigin } from '../config/entry.js';
import { findOption } from '../config/option-registry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { parseAddress, type SocketAddress } from '../net/address.js';
import { type BoundSocket, bindSocket, type SocketRequest } from '../net/bind.js';
import { listenEarly } from '../net/early-listen.js';
import { boundPort, createServerHandle, type NativeHandle } from '../net/native-handle.js';
import { PROTOCOL_NAMES, SOCKET_OPTIONS, type SocketProtocol } from '../net/socket-protocol.js';
import { listeningSocketOn } from '../net/stdin-socket.js';
import { listenQueue, unixListenQueue } from '../stats/listen-queue.js';

export function socketRequests(config: Config): { sockets: SocketRequest[]; shared: SocketRequest[] } {
  const sockets: SocketRequest[] = [];
  const shared: SocketRequest[] = [];
  const defaultProtocol = PROTOCOL_NAMES[config.value('protocol')] ?? 'uwsgi';
  for (const entry of config.entries) {
    const name = findOption(entry.key)?.name;
    if (!name) continue;
    const where = formatOrigin(entry.origin);
    if (name === 'shared-socket') {
      shared.push({ protocol: 'uwsgi', address: parseAddress(entry.value, where), raw: entry.value, where });
      continue;
    }
    if (!(name in SOCKET_OPTIONS)) continue;
    let protocol: SocketProtocol = SOCKET_OPTIONS[name as keyof typeof SOCKET_OPTIONS];
    if (name === 'socket') protocol = defaultProtocol;
    if (protocol === 'https') {
      const [addr = '', cert, key, ciphers, ca] = entry.value.split(',');
      if (!cert || !key) {
        throw new UwsgiError(
          'ERR_SOCKET_BAD_ADDRESS',
          `https-socket needs ADDR,CERT,KEY: "${entry.value}" (${where})`,
        );
      }
      sockets.push({
        protocol,
        address: parseAddress(addr, where),
        raw: entry.value,
        where,
        tls: { cert, key, ...(ciphers ? { ciphers } : {}), ...(ca ? { ca } : {}) },
      });
    } else sockets.push({ protocol, address: parseAddress(entry.value, where), raw: entry.value, where });
  }
  // the HTTP router without http-to forwards to the workers: uWSGI binds a uwsgi socket for that
  // on 127.0.0.1:0 when none is configured (observed on 2.0.21); this binds one too, speaking
  // FastCGI so that the router keeps its connections open (README "The HTTP router": uwsgi when
  // http-modifier1/2 are set, the packet carries them). With http-to and no socket the workers
  // get it too (uWSGI runs none then: a difference, README).
  const routed = config.all('http').length + config.all('https').length + config.all('https2').length > 0;
  const internal: SocketProtocol =
    config.value('http-modifier1') === 0 && config.value('http-modifier2') === 0 ? 'fastcgi' : 'uwsgi';
  const toWorkers =
    config.all('http-to').length === 0 &&
    config.all('http-subscription-server').length === 0 &&
    !sockets.some((s) => s.protocol === internal);
  // a corerouter alone (fastrouter, rawrouter, sslrouter) has its backends elsewhere; the workers
  // still get a socket to serve (uWSGI runs none: "Operational MODE: no-workers")
  const coreRouted = ['fastrouter', 'rawrouter', 'sslrouter'] as const;
  const routerNeedsOne =
    (routed && (sockets.length === 0 || toWorkers)) ||
    (coreRouted.some((g) => config.all(g).length > 0) && sockets.length === 0);
  if (routerNeedsOne) {
    sockets.push({
      protocol: internal,
      address: parseAddress('127.0.0.1:0', HIDDEN),
      raw: '127.0.0.1:0',
      where: HIDDEN,
    });
  }
  // WebSockets through the router (`http-websockets`): an upgrade cannot ride FastCGI or the
  // uwsgi packets the workers read, so the router relays it to an HTTP socket of the workers
  // (whose upgrade path serves it: src/worker/upgrades.ts); one is bound when none is configured
  const httpForUpgrades =
    routed &&
    config.value('http-websockets') === true &&
    config.all('http-to').length === 0 &&
    config.all('http-subscription-server').length === 0 &&
    !sockets.some((s) => s.protocol === 'http' || s.protocol === 'http11');
  if (httpForUpgrades) {
    sockets.push({
      protocol: 'http',
      address: parseAddress('127.0.0.1:0', HIDDEN),
      raw: '127.0.0.1:0',
      where: HIDDEN,
    });
  }
  return { sockets, shared };
}

/** Where the HTTP router's own uwsgi socket comes from (its log line says "port auto-assigned"). */
const HIDDEN = 'for the HTTP router';

/**
 * Listening sockets passed by systemd socket activation (LISTEN_FDS, fds from 3), keyed by the
 * address they are bound to, so that `socket = /run/app.sock` uses the inherited fd.
 */
export function inheritedSockets(): Map<string, NativeHandle> {
  const found = new Map<string, NativeHandle>();
  const count = Number(process.env['LISTEN_FDS'] ?? 0);
  const pid = process.env['LISTEN_PID'];
  if (!count || (pid !== undefined && Number(pid) !== process.pid)) return found;
  for (let fd = 3; fd < 3 + count; fd++) {
    const handle = createServerHandle(null, 0, 0, fd);
    if (typeof handle === 'number') continue;
    const out: { address?: string; port?: number } = {};
    // TCP sockets are matched by address; any inherited fd is also reachable as fd://N
    if (handle.getsockname?.(out) === 0 && out.port !== undefined)
      found.set(`tcp:${out.address}:${out.port}`, handle);
    found.set(`fd:${fd}`, handle);
  }
  delete process.env['LISTEN_FDS'];
  delete process.env['LISTEN_PID'];
  return found;
}

/**
 * A listening socket on stdin (an Emperor's on-demand vassal, src/emperor/on-demand.ts): uWSGI
 * takes it as socket 0 when the config names no socket, or in place of the socket bound to the
 * same address. Its key in the inherited map and its address.
 */
function stdinSocket(): { key: string; address: SocketAddress; handle: NativeHandle } | undefined {
  const address = listeningSocketOn(0);
  if (!address) return undefined;
  const handle = createServerHandle(null, 0, 0, 0);
  if (typeof handle === 'number') return undefined;
  const key =
    address.kind === 'tcp'
      ? `tcp:${address.host}:${address.port}`
      : address.kind === 'unix'
        ? `unix:${address.path}`
        : address.kind === 'abstract'
          ? `unix:\0${address.name}`
          : 'fd:0';
  return { key, address, handle };
}

/** Connections waiting to be accepted on a bound socket (cheaper backlog, idle wake-up). */
export function socketQueue(b: BoundSocket): number {
  const a = b.address;
  if (a.kind === 'tcp') {
    const port = boundPort(b.handle);
    return port === undefined ? 0 : (listenQueue(port)?.queue ?? 0);
  }
  if (a.kind === 'unix') return unixListenQueue(a.path);
  if (a.kind === 'abstract') return unixListenQueue(`@${a.name}`);
  return 0;
}

/**
 * Binds every socket the config asks for (shared sockets first, so `=N` can name them), with
 * the umask and socket permissions of the config; logs uWSGI's lines.
 */
export async function bindAll(c: Config, log: (line: string) => void): Promise<BoundSocket[]> {
  const { sockets, shared } = socketRequests(c);
  const inherited = inheritedSockets();
  const stdin = stdinSocket();
  if (stdin) {
    inherited.set(stdin.key, stdin.handle);
    inherited.set('fd:0', stdin.handle);
    if (sockets.length === 0)
      sockets.push({
        protocol: PROTOCOL_NAMES[c.value('protocol')] ?? 'uwsgi',
        address: stdin.address,
        raw: 'fd://0',
        where: 'stdin',
      });
  }
  if (sockets.length === 0) {
    throw new UwsgiError(
      'ERR_SOCKET_NONE',
      'no socket to serve on: give --http-socket, --socket, --fastcgi-socket or --scgi-socket',
    );
  }
  const umask = c.value('umask');
  if (umask !== undefined) process.umask(umask);
  const chmod = c.value('chmod-socket');
  const chown = c.value('chown-socket');
  const options = {
    ...(chmod !== undefined ? { chmod } : {}),
    ...(chown ? { chown } : {}),
    inherited,
  };
  const sharedBound: BoundSocket[] = [];
  for (const [i, request] of shared.entries()) {
    const b = await bindSocket(i, request, { ...options, shared: [] });
    sharedBound.push(b);
    // listening before its line is logged: whoever waits for the line can connect (early-listen.ts)
    listenEarly([b], c.value('listen'), log);
    log(`uwsgi shared socket ${i} bound to ${b.description} fd ${b.handle.fd}`);
  }
  const bound: BoundSocket[] = [];
  for (const [i, request] of sockets.entries()) {
    const b = await bindSocket(i, request, { ...options, shared: sharedBound });
    bound.push(b);
    listenEarly([b], c.value('listen'), log);
    const auto = request.where === HIDDEN ? ' (port auto-assigned)' : '';
    log(
      `uwsgi socket ${i} ${b.inherited ? 'inherited' : 'bound to'} ${b.description}${auto} fd ${b.handle.fd}`,
    );
  }
  return bound;
}
