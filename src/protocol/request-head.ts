// The protocol-neutral request head: what every codec (uwsgi, FastCGI, SCGI, HTTP) produces and
// what routing, logging and apps consume. CGI-style vars, as uWSGI hands them to a WSGI app.

/** CGI vars in arrival order. A later duplicate replaces the earlier value (uWSGI, reference §1.2). */
export type CgiVars = Map<string, string>;

export interface RequestHead {
  readonly vars: CgiVars;
  /** Keys plus values, as uWSGI's request log counts them (`{24 vars in 257 bytes}`). */
  readonly varCount: number;
  /** Size of the vars block on the wire (uwsgi datasize, FastCGI params bytes, SCGI netstring length). */
  readonly varBytes: number;
  readonly modifier1: number;
  readonly modifier2: number;
}

/** A codec's verdict on bad input: the code from src/errors.ts and one line for the log. */
export interface ProtocolError {
  readonly code:
    | 'ERR_PROTOCOL_TRUNCATED'
    | 'ERR_UWSGI_BLOCK_TOO_BIG'
    | 'ERR_UWSGI_BAD_VARS'
    | 'ERR_UWSGI_TOO_MANY_VARS'
    | 'ERR_UWSGI_UNSUPPORTED_MODIFIER'
    | 'ERR_FASTCGI_BAD_VERSION'
    | 'ERR_FASTCGI_BAD_RECORD'
    | 'ERR_FASTCGI_PARAMS_TOO_BIG'
    | 'ERR_SCGI_BAD_NETSTRING'
    | 'ERR_SCGI_HEADERS_TOO_BIG';
  readonly message: string;
}
