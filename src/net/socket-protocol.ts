// Which protocol each socket option speaks (reference §2.1). A row per option.

export type SocketProtocol = 'uwsgi' | 'http' | 'http11' | 'https' | 'fastcgi' | 'scgi';

export const SOCKET_OPTIONS = {
  socket: 'uwsgi',
  'uwsgi-socket': 'uwsgi',
  'http-socket': 'http',
  'http11-socket': 'http11',
  'https-socket': 'https',
  'fastcgi-socket': 'fastcgi',
  'scgi-socket': 'scgi',
} as const satisfies Record<string, SocketProtocol>;

export type SocketOption = keyof typeof SOCKET_OPTIONS;

/** uWSGI's `--protocol` names for the default socket. */
export const PROTOCOL_NAMES: Readonly<Record<string, SocketProtocol>> = {
  uwsgi: 'uwsgi',
  http: 'http',
  http11: 'http11',
  https: 'https',
  fastcgi: 'fastcgi',
  scgi: 'scgi',
};
