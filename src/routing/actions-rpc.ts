// The rpc plugin's actions (reference §4.4): `rpc:FUNC[@NODE] ARGS...` (space-separated, each
// translated) calls the function through the host. Observed on 2.0.21: `rpc`/`call` answer the
// result with only a Content-Length and end the request; `rpcnext`/`rpcblob` send it as
// `200 OK` + `Connection: close` and go on (the app's own response is then lost); `rpcraw` reads
// the result as a whole HTTP response (`HTTP/x.y CODE REASON`, headers, blank line, body) and
// sends it with the request's protocol, or nothing when it is not one; `rpcvar:VAR FUNC ARGS`
// stores the result in a var; `rpcret` reads the result
// as a return code (`next`, `break`, `continue`; anything else continues). A call with no result
// ends the request with nothing sent.

import { action, badArgs, type RuleSite } from './action.js';
import { io } from './io.js';
import { RouteCode, type RoutedResponse } from './outcome.js';
import type { RouteRun } from './run.js';
import { Template } from './translate.js';

interface RpcArgs {
  readonly func: Template;
  readonly args: readonly Template[];
}

function compileCall(words: string[], site: RuleSite): RpcArgs {
  const [func, ...args] = words;
  if (func === undefined || func === '')
    throw badArgs(site, 'unable to register route: you need to specify an rpc function');
  return { func: new Template(func), args: args.map((a) => new Template(a)) };
}

const words = (args: string) => args.split(' ').filter((w) => w !== '');

function* call(run: RouteRun, c: RpcArgs) {
  const target = c.func.render(run);
  const at = target.indexOf('@');
  return yield* io(
    run.host.rpc({
      func: at < 0 ? target : target.slice(0, at),
      node: at < 0 ? undefined : target.slice(at + 1),
      args: c.args.map((a) => a.render(run)),
    }),
  );
}

/** An `rpcraw` result as a response: `HTTP/x.y CODE REASON\r\n` headers `\r\n\r\n` body. */
export function parseRawResponse(result: Uint8Array): RoutedResponse | undefined {
  const bytes = Buffer.from(result);
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [first = '', ...lines] = bytes.toString('latin1', 0, end).split('\r\n');
  const m = /^HTTP\/\d\.\d ((\d{3})(?: .*)?)$/.exec(first);
  if (!m) return undefined;
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trimStart()]);
  }
  return {
    status: Number(m[2]),
    statusLine: m[1] as string,
    headers,
    body: bytes.subarray(end + 4),
    close: false,
  };
}

/** The routing code an `rpcret` result stands for. */
export function rpcReturnCode(result: string): RouteCode {
  if (result === 'next') return RouteCode.NEXT;
  if (result === 'break') return RouteCode.BREAK;
  return RouteCode.CONTINUE;
}

const rpc = action<RpcArgs>({
  plugin: 'rpc',
  needs: 'rpc',
  compile: (args, site) => compileCall(words(args), site),
  *run(run, c) {
    const result = yield* call(run, c);
    if (result === undefined) return RouteCode.BREAK;
    run.outcome.response = {
      status: 200,
      statusLine: '200 OK',
      headers: [['Content-Length', String(result.byteLength)]],
      body: result,
      close: false,
    };
    return RouteCode.BREAK;
  },
});

const rpcNext = action<RpcArgs>({
  plugin: 'rpc',
  needs: 'rpc',
  compile: (args, site) => compileCall(words(args), site),
  *run(run, c) {
    const result = yield* call(run, c);
    if (result === undefined) return RouteCode.BREAK;
    run.outcome.response = {
      status: 200,
      statusLine: '200 OK',
      headers: [['Connection', 'close']],
      body: result,
      close: true,
    };
    return RouteCode.NEXT;
  },
});

export const RPC_ACTIONS = {
  call: rpc,
  rpc,
  rpcret: action<RpcArgs>({
    plugin: 'rpc',
    needs: 'rpc',
    compile: (args, site) => compileCall(words(args), site),
    *run(run, c) {
      const result = yield* call(run, c);
      if (result === undefined) return RouteCode.BREAK;
      return rpcReturnCode(Buffer.from(result).toString('latin1'));
    },
  }),
  rpcblob: rpcNext,
  rpcnext: rpcNext,
  rpcraw: action<RpcArgs>({
    plugin: 'rpc',
    needs: 'rpc',
    compile: (args, site) => compileCall(words(args), site),
    *run(run, c) {
      const result = yield* call(run, c);
      const response = result === undefined ? undefined : parseRawResponse(result);
      if (response !== undefined) run.outcome.response = response;
      return RouteCode.BREAK;
    },
  }),
  rpcvar: action<{ variable: string; call: RpcArgs }>({
    plugin: 'rpc',
    needs: 'rpc',
    compile(args, site) {
      const [variable, ...rest] = words(args);
      if (variable === undefined || rest.length === 0) throw badArgs(site, 'unable to register route');
      return { variable, call: compileCall(rest, site) };
    },
    *run(run, v) {
      const result = yield* call(run, v.call);
      if (result !== undefined) run.set(v.variable, Buffer.from(result).toString('utf8'));
      return RouteCode.NEXT;
    },
  }),
} as const;
