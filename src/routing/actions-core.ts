// The core actions of core/routing.c (reference §4.4), in the order uWSGI 2.0.21's
// --routers-list prints them. Every arg is translated (translate.ts) except those of break,
// return, signal, setmodifier1/2 and harakiri, which uWSGI reads once at start-up (observed:
// `return:$1` sends nothing). Behaviours marked "2.0.21" were observed against the real uWSGI
// (test/fixtures/routing/recorded).

import { type ActionRow, action, badArgs } from './action.js';
import { statusLine } from './http-status.js';
import { io } from './io.js';
import { RouteCode } from './outcome.js';
import { atoi } from './route-vars.js';
import type { RouteRun } from './run.js';
import { Template } from './translate.js';

const template = (args: string) => new Template(args);

/** An action that renders its arg and does something that cannot fail. */
function simple(
  plugin: string,
  apply: (run: RouteRun, text: string) => void,
  code: RouteCode = RouteCode.NEXT,
) {
  return action<Template>({
    plugin,
    compile: template,
    run(run, t) {
      apply(run, t.render(run));
      return code;
    },
  });
}

/** set* actions: one request var from the rendered arg. */
const setVar = (name: string, map: (text: string) => string = (t) => t) =>
  simple('core', (run, text) => run.set(name, map(text)));

const flag = (apply: (run: RouteRun) => void) =>
  action<undefined>({
    plugin: 'core',
    compile: () => undefined,
    run(run) {
      apply(run);
      return RouteCode.NEXT;
    },
  });

const continueAction = action<undefined>({
  plugin: 'core',
  compile: () => undefined,
  run: () => RouteCode.CONTINUE,
});

/** `break:[STATUS LINE]`: with 3+ chars sends the line, `Connection: close`, text/plain and no body. */
const breakAction = action<string>({
  plugin: 'core',
  compile: (args) => args,
  run(run, line) {
    if (line.length >= 3) {
      run.outcome.response = {
        status: atoi(line),
        statusLine: line,
        headers: [
          ['Connection', 'close'],
          ['Content-Type', 'text/plain'],
        ],
        body: '',
        close: true,
      };
    }
    return RouteCode.BREAK;
  },
});

/** `return:CODE`: status + reason, body = reason; a code with no reason sends nothing (2.0.21). */
const returnAction = action<number>({
  plugin: 'core',
  compile: (args) => atoi(args),
  run(run, code) {
    const line = statusLine(code);
    if (line !== undefined) {
      const reason = line.slice(4);
      run.outcome.response = {
        status: code,
        statusLine: line,
        headers: [
          ['Content-Type', 'text/plain'],
          ['Content-Length', String(Buffer.byteLength(reason))],
        ],
        body: reason,
        close: false,
      };
    }
    return RouteCode.BREAK;
  },
});

/** `KEY=VALUE` args (logvar, addvar): the key as written, the value translated. */
function keyValue(what: string) {
  return (args: string, site: Parameters<ActionRow['compile']>[1]) => {
    const eq = args.indexOf('=');
    if (eq < 0) throw badArgs(site, `invalid ${what} syntax, must be KEY=VAL`);
    return { key: args.slice(0, eq), value: new Template(args.slice(eq + 1)) };
  };
}

/** `goto:LABEL|N`: the label's index in the chain; an unknown label reads as atoi(label). */
const gotoAction = action<{
  t: Template;
  fixed: number | undefined;
  labelIndex: (n: string) => number | undefined;
}>({
  plugin: 'core',
  compile(args, site) {
    const t = new Template(args);
    const fixed = t.constant === undefined ? undefined : (site.labelIndex(args) ?? atoi(args));
    return { t, fixed, labelIndex: (n) => site.labelIndex(n) };
  },
  run(run, g) {
    const target =
      g.fixed ??
      (() => {
        const name = g.t.render(run);
        return g.labelIndex(name) ?? atoi(name);
      })();
    run.goto(target);
    return RouteCode.NEXT;
  },
});

/** `Name: value` for addheader: split at the first colon, leading spaces of the value dropped. */
function headerOf(text: string): { name: string; value: string } {
  const colon = text.indexOf(':');
  if (colon < 0) return { name: text, value: '' };
  return { name: text.slice(0, colon), value: text.slice(colon + 1).trimStart() };
}

/**
 * A var's value as 2.0.21's math actions read it: every byte counts as a digit (`c - '0'`), so
 * `-4` reads as -26 and `abc` as 5451 (observed: `addvar:X=-4` then `+:X,0` gives 2^64-26).
 */
export function naiveNumber(text: string): bigint {
  let n = 0n;
  for (const c of Buffer.from(text, 'utf8')) n = n * 10n + BigInt(c - 48);
  return BigInt.asIntN(64, n);
}

/** `+ - * /` on `VAR[,N]`: 64-bit integer math printed unsigned; a missing var ends the request. */
function mathAction(op: (a: bigint, b: bigint) => bigint) {
  return action<Template>({
    plugin: 'core',
    compile: template,
    run(run, t) {
      const text = t.render(run);
      const comma = text.indexOf(',');
      const name = comma < 0 ? text : text.slice(0, comma);
      if (!run.has(name)) return RouteCode.BREAK;
      const by = comma < 0 ? 1n : BigInt(atoi(text.slice(comma + 1)));
      const value = op(naiveNumber(run.get(name)), by);
      run.set(name, BigInt.asUintN(64, value).toString());
      return RouteCode.NEXT;
    },
  });
}

const chdirAction = action<Template>({
  plugin: 'core',
  compile: template,
  *run(run, t) {
    const ok = yield* io(run.host.chdir(t.render(run)));
    return ok ? RouteCode.NEXT : RouteCode.BREAK;
  },
});

const transform = (kind: 'flush' | 'fixcl' | 'forcecl') =>
  flag((run) => run.outcome.transforms.push({ kind }));

const resetHeaders = simple('core', (run, text) =>
  run.outcome.headers.push({ op: 'reset', statusLine: text }),
);
const removeHeader = simple('core', (run, text) => run.outcome.headers.push({ op: 'remove', name: text }));

export const CORE_ACTIONS = {
  continue: continueAction,
  last: continueAction,
  break: breakAction,
  return: returnAction,
  'break-with-status': returnAction,
  log: simple('core', (run, text) => run.outcome.log.push(text)),
  donotlog: flag((run) => {
    run.outcome.noLog = true;
  }),
  donotoffload: flag((run) => {
    run.outcome.noOffload = true;
  }),
  logvar: action<{ key: string; value: Template }>({
    plugin: 'core',
    compile: keyValue('logvar'),
    run(run, kv) {
      run.outcome.logVars.push([kv.key, kv.value.render(run)]);
      return RouteCode.NEXT;
    },
  }),
  goto: gotoAction,
  addvar: action<{ key: string; value: Template }>({
    plugin: 'core',
    compile: keyValue('addvar'),
    run(run, kv) {
      run.set(kv.key, kv.value.render(run));
      return RouteCode.NEXT;
    },
  }),
  addheader: simple('core', (run, text) => run.outcome.headers.push({ op: 'add', ...headerOf(text) })),
  delheader: removeHeader,
  remheader: removeHeader,
  clearheaders: resetHeaders,
  resetheaders: resetHeaders,
  disableheaders: flag((run) => {
    run.outcome.headersDisabled = true;
  }),
  signal: action<number>({
    plugin: 'core',
    compile: (args) => atoi(args),
    run(run, signal) {
      run.outcome.effects.push({ kind: 'signal', signal });
      return RouteCode.NEXT;
    },
  }),
  send: simple('core', (run, text) => run.outcome.raw.push(text)),
  'send-crnl': simple('core', (run, text) => run.outcome.raw.push(`${text}\r\n`)),
  chdir: chdirAction,
  setapp: setVar('UWSGI_APPID'),
  // REMOTE_USER is cut at the first colon (a `user:password` pair)
  setuser: setVar('REMOTE_USER', (t) => (t.includes(':') ? t.slice(0, t.indexOf(':')) : t)),
  sethome: setVar('UWSGI_HOME'),
  // 2.0.21 sets UWSGI_HOME here too (observed), not UWSGI_FILE
  setfile: setVar('UWSGI_HOME'),
  setscriptname: setVar('SCRIPT_NAME'),
  setmethod: setVar('REQUEST_METHOD'),
  seturi: setVar('REQUEST_URI'),
  setremoteaddr: setVar('REMOTE_ADDR'),
  setpathinfo: setVar('PATH_INFO'),
  // 2.0.21 cuts SCRIPT_NAME's length off PATH_INFO without comparing (observed: /app + /other/page -> er/page)
  fixpathinfo: flag((run) => {
    const script = run.get('SCRIPT_NAME');
    const path = run.get('PATH_INFO');
    if (script.length > 0 && path.length >= script.length) run.set('PATH_INFO', path.slice(script.length));
  }),
  setdocroot: setVar('DOCUMENT_ROOT'),
  setscheme: setVar('UWSGI_SCHEME'),
  setprocname: simple('core', (run, text) => run.outcome.effects.push({ kind: 'setprocname', name: text })),
  alarm: simple('core', (run, text) => {
    const sp = text.indexOf(' ');
    run.outcome.effects.push({
      kind: 'alarm',
      alarm: sp < 0 ? text : text.slice(0, sp),
      message: sp < 0 ? '' : text.slice(sp + 1),
    });
  }),
  setmodifier1: action<number>({
    plugin: 'core',
    compile: (args) => atoi(args),
    run(run, n) {
      run.outcome.modifier1 = n;
      return RouteCode.NEXT;
    },
  }),
  setmodifier2: action<number>({
    plugin: 'core',
    compile: (args) => atoi(args),
    run(run, n) {
      run.outcome.modifier2 = n;
      return RouteCode.NEXT;
    },
  }),
  '+': mathAction((a, b) => a + b),
  '-': mathAction((a, b) => a - b),
  '*': mathAction((a, b) => a * b),
  // 2.0.21 bug kept (observed: 10 `/` 2 = 20): the division action multiplies
  '/': mathAction((a, b) => a * b),
  flush: transform('flush'),
  fixcl: transform('fixcl'),
  forcecl: transform('forcecl'),
  harakiri: action<number>({
    plugin: 'core',
    compile: (args) => atoi(args),
    run(run, seconds) {
      run.outcome.harakiri = seconds;
      return RouteCode.NEXT;
    },
  }),
} as const satisfies Record<string, ActionRow>;
