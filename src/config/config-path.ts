// `file.ini:section` splitting and format detection for config paths (reference §3.2).

export type ConfigFormat = 'ini' | 'json' | 'yaml' | 'xml';

export interface ConfigPath {
  readonly source: string;
  /** Undefined when the path names no section. */
  readonly section: string | undefined;
}

/** The last `:` after the last `/` separates the section, so `exec://cmd` keeps its scheme. */
export function splitSection(spec: string): ConfigPath {
  const colon = spec.lastIndexOf(':');
  if (colon < 0 || colon < spec.lastIndexOf('/')) return { source: spec, section: undefined };
  return { source: spec.slice(0, colon), section: spec.slice(colon + 1) };
}

const BY_EXTENSION: ReadonlyArray<readonly [string, ConfigFormat]> = [
  ['.ini', 'ini'],
  ['.json', 'json'],
  ['.js', 'json'],
  ['.yaml', 'yaml'],
  ['.yml', 'yaml'],
  ['.xml', 'xml'],
];

/**
 * The format a positional, `config` or `include` path is read as, from how the whole spec ends:
 * uWSGI 2.0.21 refuses `app.ini:section` there ("unable to load configuration from ...").
 */
export function formatOf(spec: string): ConfigFormat | undefined {
  return BY_EXTENSION.find(([ext]) => spec.endsWith(ext))?.[1];
}
