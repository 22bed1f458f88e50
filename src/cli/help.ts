// --help and docs/options.md, both generated from the one option table.

import type { OptionSpec, Subsystem } from '../config/option.js';
import { ALL_OPTIONS } from '../config/option-registry.js';
import { SERVED_OPTIONS, UNSERVED_OPTIONS } from '../config/served-options.js';
import { SUBSYSTEM_STATUS } from '../config/subsystem-status.js';
import { ERROR_CODES } from '../errors.js';

const ARG_TEXT: Readonly<Record<OptionSpec['arg'], string>> = {
  none: '',
  required: ' <value>',
  optional: '[=value]',
};

function flags(spec: OptionSpec): string {
  const names = [spec.name, ...(spec.aliases ?? [])].map((n) => `--${n}`).join('|');
  return `${spec.short ? `-${spec.short}|` : ''}${names}${ARG_TEXT[spec.arg]}`;
}

function bySubsystem(): Map<Subsystem, OptionSpec[]> {
  const groups = new Map<Subsystem, OptionSpec[]>();
  for (const spec of ALL_OPTIONS) {
    const list = groups.get(spec.subsystem) ?? [];
    list.push(spec);
    groups.set(spec.subsystem, list);
  }
  return groups;
}

/** Whether uwsgi-ts serves an option today: its subsystem is ready, or the option is listed as served. */
function served(spec: OptionSpec): 'yes' | 'not yet' | 'no' {
  const status = SUBSYSTEM_STATUS[spec.subsystem];
  if ((status.state === 'ready' && !UNSERVED_OPTIONS.has(spec.name)) || SERVED_OPTIONS.has(spec.name))
    return 'yes';
  return status.state === 'never' ? 'no' : 'not yet';
}

function statusWord(subsystem: Subsystem, specs: readonly OptionSpec[]): string {
  const status = SUBSYSTEM_STATUS[subsystem];
  if (status.state === 'never') return 'not supported';
  const n = specs.filter((s) => served(s) === 'yes').length;
  return n === specs.length ? 'supported' : n === 0 ? 'not yet supported' : `${n} of ${specs.length} served`;
}

export function renderHelp(): string {
  let out = 'Usage: uwsgi-ts [options...] [config files...]\n';
  out += 'Every option also works as an ini/json/yaml key and as a UWSGI_<NAME> environment variable.\n';
  for (const [subsystem, specs] of bySubsystem()) {
    out += `\n${subsystem} options (${statusWord(subsystem, specs)}):\n`;
    for (const spec of specs) {
      const left = `    ${flags(spec)}`;
      const state = served(spec);
      const extra = [
        state === 'yes' ? '' : state === 'not yet' ? 'not yet supported' : 'not supported',
        spec.list ? 'repeatable' : '',
        spec.default !== undefined ? `default ${spec.default}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      out += `${left.padEnd(44)} ${spec.help}${extra ? ` (${extra})` : ''}\n`;
    }
  }
  return out;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

export function renderOptionsMarkdown(): string {
  let out = '# uwsgi-ts options\n\n';
  out +=
    '<!-- generated from src/config/option-table*.ts by `npm run docs`; a test checks it is current -->\n\n';
  out +=
    'Every option works on the command line (`--name value`, `--name=value`, the short flag), as an ini/json/yaml key, ';
  out +=
    'and as a `UWSGI_<NAME>` environment variable. Options of a subsystem that is not yet supported are parsed, ';
  out += 'shown by `--show-config`, and reported with a warning (an error under `--strict`).\n\n';
  const names = ALL_OPTIONS.reduce((n, spec) => n + 1 + (spec.aliases?.length ?? 0), 0);
  out += `${ALL_OPTIONS.length} options (${names} names with their aliases).\n`;
  for (const [subsystem, specs] of bySubsystem()) {
    out += `\n## ${subsystem} (${statusWord(subsystem, specs)})\n\n`;
    out +=
      '| Option | Short | Argument | Default | Repeatable | Served | Description |\n|---|---|---|---|---|---|---|\n';
    for (const spec of specs) {
      const names = [spec.name, ...(spec.aliases ?? [])].map((n) => `\`${n}\``).join(', ');
      const arg =
        spec.arg === 'none' ? 'flag' : `${spec.kind}${spec.arg === 'optional' ? ' (optional)' : ''}`;
      const help = spec.instead ? `${spec.help}. Instead: ${spec.instead}` : spec.help;
      out += `| ${names} | ${spec.short ? `\`-${spec.short}\`` : ''} | ${arg} | ${cell(spec.default ?? '')} | ${spec.list ? 'yes' : ''} | ${served(spec)} | ${cell(help)} |\n`;
    }
  }
  return out;
}

export function renderErrorsMarkdown(): string {
  let out = '# uwsgi-ts error codes\n\n';
  out += '<!-- generated from src/errors.ts by `npm run docs`; a test checks it is current -->\n\n';
  out += 'Codes are permanent: an error is reported as one line ending in `[CODE]`, exit status 1 ';
  out += '(`UWSGI_TS_DEBUG=1` adds the stack trace).\n\n| Code | Meaning |\n|---|---|\n';
  for (const [code, meaning] of Object.entries(ERROR_CODES)) out += `| \`${code}\` | ${cell(meaning)} |\n`;
  return out;
}
