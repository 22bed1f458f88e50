// The head of uWSGI's websocket_handshake() (RFC 6455 §4.2.2), as uWSGI 2.0.21 writes it
// (recorded: test/fixtures/websocket/handshake-uwsgi-2.0.21.json): its own reason phrase, an
// Origin echoed as Sec-WebSocket-Origin, the protocol echoed when there is one.

import { createHash } from 'node:crypto';

/** RFC 6455 §1.3: the GUID appended to the client's key before hashing. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function websocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

export function handshakeHead(key: string, origin: string, protocol: string): string {
  let head = 'HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n';
  if (origin !== '') head += `Sec-WebSocket-Origin: ${origin}\r\n`;
  if (protocol !== '') head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  return `${head}Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n\r\n`;
}
