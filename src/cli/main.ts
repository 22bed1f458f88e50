// argv -> Config -> (for now) --show-config / --dry-run. Errors become one line and an exit
// status; the stack only with UWSGI_TS_DEBUG=1.

import { processMagicHost, readConfig } from '../config/load.js';
import type { ConfigHost } from '../config/loader.js';
import { resolveConfig } from '../config/resolve.js';
import { isUwsgiError } from '../errors.js';
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
};

export function processHost(): ConfigHost {
  return {
    env: process.env,
    cwd: process.cwd(),
    magic: processMagicHost(),
    log: (line) => process.stderr.write(`${line}\n`),
    print: (text) => process.stdout.write(text),
    hasPlugin: () => true,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const meta = argv.length > 0 ? META[argv[0] ?? ''] : undefined;
  if (meta) {
    process.stdout.write(meta());
    return 0;
  }
  try {
    const loader = readConfig(argv, processHost());
    const dryRun = argv.includes('--dry-run') || loader.lastFlag('dry-run');
    // printed before the checks, as uWSGI prints it after configuring: what was read is shown
    // even when it is then refused
    if (loader.lastFlag('show-config') || dryRun) process.stderr.write(loader.showConfig());
    const config = resolveConfig(loader);
    for (const w of config.warnings) process.stderr.write(`uwsgi-ts: warning: ${w.message}\n`);
    if (dryRun) return 0;
    process.stderr.write(
      'uwsgi-ts: this build reads and checks configurations only; the server arrives in the next release (use --dry-run)\n',
    );
    return 1;
  } catch (err) {
    if (!isUwsgiError(err)) throw err;
    if (err.code === 'ERR_CONFIG_EXIT') return err.exitCode;
    process.stderr.write(`uwsgi-ts: ${err.message} [${err.code}]\n`);
    if (process.env['UWSGI_TS_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
    return err.exitCode;
  }
}
