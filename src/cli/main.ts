// argv -> Config -> (for now) --show-config / --dry-run. Errors become one line and an exit
// status; the stack only with UWSGI_TS_DEBUG=1.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadConfig, processMagicHost, readConfig } from '../config/load.js';
import type { ConfigHost } from '../config/loader.js';
import { ALL_OPTIONS } from '../config/option-registry.js';
import { BUILT_IN_PLUGINS, pluginNames } from '../config/plugins.js';
import type { Config } from '../config/resolve.js';
import { resolveConfig } from '../config/resolve.js';
import { runAsVassal } from '../emperor/as-vassal.js';
import { emperorJitOff, emperorOnCommandLine } from '../emperor/emperor-jit.js';
import { isUwsgiError, UwsgiError } from '../errors.js';
import { isUdpLogto, openLogto } from '../logging/log-config.js';
import { openLogFile } from '../logging/log-targets.js';
import { CHEAPER_ALGOS } from '../master/cheaper-algos.js';
import { runTop } from '../stats/top.js';
import { VERSION } from '../version.js';
import { renderErrorsMarkdown, renderHelp, renderOptionsMarkdown } from './help.js';

/** Meta flags answered before any config is read (uWSGI runs --help/--version immediately). */
const META: Readonly<Record<string, () => string>> = {
  '--help': renderHelp,
  '-h': renderHelp,
  '--usage': renderHelp,
  '--version': () => `${VERSION}\n`,
  '--docs-options': renderOptionsMarkdown,
  '--docs-errors': renderErrorsMarkdown,
  ...Object.fromEntries(
    ['--cheaper-algo-list', '--cheaper-algos-list', '--cheaper-list'].map((flag) => [flag, cheaperAlgoList]),
  ),
};

/** uWSGI's `--cheaper-algo-list` block. */
function cheaperAlgoList(): string {
  return `\n*** uWSGI loaded cheaper algorithms ***\n${Object.keys(CHEAPER_ALGOS).join('\n')}\n--- end of cheaper algorithms list ---\n\n`;
}

export function processHost(): ConfigHost {
  return {
    env: process.env,
    cwd: process.cwd(),
    magic: processMagicHost(),
    log: (line) => process.stderr.write(`${line}\n`),
    print: (text) => process.stdout.write(text),
    // if-plugin holds for the plugins uwsgi-ts has built in, not for the ones it refuses (python...)
    hasPlugin: (name) => pluginNames(name).every((p) => BUILT_IN_PLUGINS.has(p)),
  };
}

/** `--stop PIDFILE` / `--reload PIDFILE`: signal the running master and exit. */
function signalPidfile(path: string, signal: NodeJS.Signals): number {
  const pid = Number(readFileSync(path, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new UwsgiError('ERR_CONFIG_BAD_VALUE', `pidfile ${path} holds no pid`);
  }
  process.kill(pid, signal);
  return 0;
}

async function serve(config: Config, argv: readonly string[]): Promise<number> {
  const stop = config.value('stop');
  if (stop) return signalPidfile(stop, 'SIGTERM');
  const reload = config.value('reload');
  if (reload) return signalPidfile(reload, 'SIGHUP');
  const daemonize = config.value('daemonize');
  if (daemonize && !process.env['UWSGI_TS_DAEMONIZED']) return daemonizeSelf(daemonize, argv);
  const chdir = config.value('chdir');
  if (chdir) process.chdir(chdir);
  for (const { value } of config.all('env')) {
    const eq = value.indexOf('=');
    if (eq > 0) process.env[value.slice(0, eq)] = value.slice(eq + 1);
  }
  for (const { value } of config.all('unenv')) delete process.env[value];
  // a logto HOST:PORT is a UDP address the master's log sink sends to (src/logging/)
  const logto = config.value('logto') ?? daemonize;
  // logto2 is opened by the master once privileges are dropped (src/logging/log-config.ts)
  const logFd = logto && !isUdpLogto(logto) ? openLogto(config, logto) : 2;
  // `emperor = ...`: this process is an Emperor, not an instance (reference §6.3)
  if (config.all('emperor').length > 0) {
    const logPath = logto !== undefined && !isUdpLogto(logto) && logFd !== 2 ? logto : undefined;
    // loaded on demand: an Emperor needs none of the instance's modules, a vassal none of its
    // (the Emperor's RSS is a benchmark of issue 17)
    emperorJitOff();
    const { Emperor } = await import('../emperor/emperor.js');
    return await new Emperor({ config, logFd, logPath }).run();
  }
  const { Master } = await import('../master/master.js');
  const master = new Master({ config, logFd, reread: () => loadConfig(argv, processHost()).config });
  return await master.run();
}

/** uWSGI's daemonize: run again detached, logging to the file, and let the foreground exit. */
function daemonizeSelf(logfile: string, argv: readonly string[]): number {
  const fd = openLogFile(logfile);
  const child = spawn(process.execPath, [process.argv[1] ?? '', ...argv], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, UWSGI_TS_DAEMONIZED: '1' },
  });
  child.unref();
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  // `uwsgi-ts top ADDR`: the live stats view (uwsgitop's layout)
  if (argv[0] === 'top') return runTop(argv.slice(1));
  const meta = argv.length > 0 ? META[argv[0] ?? ''] : undefined;
  if (meta) {
    process.stdout.write(meta());
    return 0;
  }
  // an Emperor by its command line: no optimizing JIT from the start (src/emperor/emperor-jit.ts)
  if (emperorOnCommandLine(argv)) emperorJitOff();
  // a vassal runs its Emperor's vassals-start-hook and as-vassal hooks before its config is read
  const asVassal = await runAsVassal(process.env);
  if (asVassal !== undefined) return asVassal;
  try {
    const loader = readConfig(argv, processHost());
    const dryRun = argv.includes('--dry-run') || loader.lastFlag('dry-run');
    // printed before the checks, as uWSGI prints it after configuring: what was read is shown
    // even when it is then refused
    if (loader.lastFlag('show-config') || dryRun) process.stderr.write(loader.showConfig());
    const config = resolveConfig(loader);
    for (const w of config.warnings) process.stderr.write(`uwsgi-ts: warning: ${w.message}\n`);
    if (config.value('dump-options')) {
      // uWSGI: every option name, one per line, then exit
      for (const spec of ALL_OPTIONS) process.stdout.write(`${spec.name}\n`);
      return 0;
    }
    const gets = config.all('get');
    if (gets.length > 0) {
      // uWSGI: print the value of each named option (every occurrence), then exit
      for (const { value } of gets) {
        for (const entry of config.entries) if (entry.key === value) process.stdout.write(`${entry.value}\n`);
      }
      return 0;
    }
    if (dryRun) return 0;
    return await serve(config, argv);
  } catch (err) {
    if (!isUwsgiError(err)) throw err;
    if (err.code === 'ERR_CONFIG_EXIT') return err.exitCode;
    process.stderr.write(`uwsgi-ts: ${err.message} [${err.code}]\n`);
    if (process.env['UWSGI_TS_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
    return err.exitCode;
  }
}
