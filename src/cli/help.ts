// --help and docs/options.md, both generated from the one option table.

import { insteadOf, NOT_SERVED_YET, type NotServedYet } from '../config/not-served-yet.js';
import type { OptionSpec, Subsystem } from '../config/option.js';
import { ALL_OPTIONS } from '../config/option-registry.js';
import { capabilityOf, isServed } from '../config/served-check.js';
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

/**
 * Whether uwsgi-ts serves an option today: yes; `refused` when its capability is not served yet
 * (the start stops, not-served-yet.ts); `not yet` (a warning, an error under --strict); `no`.
 */
function served(spec: OptionSpec): 'yes' | 'refused' | 'not yet' | 'no' {
  if (capabilityOf(spec)) return 'refused';
  if (isServed(spec)) return 'yes';
  return SUBSYSTEM_STATUS[spec.subsystem].state === 'never' ? 'no' : 'not yet';
}

/** The row's choices and bounds, as --help and docs/options.md print them. */
function accepts(spec: OptionSpec): string {
  const parts: string[] = [];
  if (spec.choices) parts.push(`${spec.choiceOf === 'head' ? 'name' : 'one'} of ${spec.choices.join(', ')}`);
  if (spec.min !== undefined) parts.push(`at least ${spec.min}`);
  if (spec.max !== undefined) parts.push(`at most ${spec.max}`);
  return parts.join(', ');
}

/** What works today instead of an option: its capability's hint, or the row's own. */
function insteadText(spec: OptionSpec): string | undefined {
  const row: NotServedYet | undefined = capabilityOf(spec);
  return row ? `not served yet, ${insteadOf(row, spec.name)}` : spec.instead;
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
        { yes: '', refused: 'not served yet: refused', 'not yet': 'not yet supported', no: 'not supported' }[
          state
        ],
        accepts(spec),
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
    'and as a `UWSGI_<NAME>` environment variable. Values are checked when the config is read (choices and bounds ';
  out +=
    'below). An option marked `refused` needs a capability uwsgi-ts does not serve yet: it stops the start with ';
  out +=
    'one line saying what works today. Other options marked `not yet` are parsed, shown by `--show-config`, and ';
  out += 'reported with a warning (an error under `--strict`).\n\n';
  out += '## Not served yet\n\n| Capability | Options | What works today |\n|---|---|---|\n';
  for (const row of Object.values(NOT_SERVED_YET) as readonly NotServedYet[]) {
    const families = [
      ...row.subsystems.map((s) => `the ${s} options`),
      ...row.options.map((o) => `\`${o}\``),
      ...row.plugins.slice(0, 3).map((p) => `\`plugin = ${p}\``),
      ...(row.plugins.length > 3 ? [`(${row.plugins.length - 3} more plugin names)`] : []),
      ...row.appExtensions.map((e) => `\`mount\`/\`app\` of a \`${e}\` file`),
    ];
    out += `| ${cell(row.capability)} | ${cell(families.join(', '))} | ${cell(row.instead)} |\n`;
  }
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
      const instead = insteadText(spec);
      const values = accepts(spec);
      const help = `${spec.help}${values ? ` (${values})` : ''}${instead ? `. Instead: ${instead}` : ''}`;
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
