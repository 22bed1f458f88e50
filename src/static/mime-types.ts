// The mime dictionary (reference §2.7 `mimefile`): `type ext ext...` lines of /etc/mime.types or
// of the `mimefile` list, read once per worker. uWSGI 2.0.21 builds it only when a static option
// is set (see MIME_DICTIONARY_OPTIONS in static-plan.ts): without one, the `static` route action
// sends no Content-Type and `${mime[..]}` is empty (observed). Where /etc/mime.types is missing the
// bundled table (mime-defaults.ts) stands in (issue 5: "else a bundled mime database").

import { readFileSync } from 'node:fs';
import { BUNDLED_MIME_TYPES } from './mime-defaults.js';

/** The type of a path's extension; undefined when unknown (then no Content-Type is sent). */
export type MimeLookup = (path: string) => string | undefined;

/** uWSGI's default `mimefile`. */
export const DEFAULT_MIME_FILE = '/etc/mime.types';

/**
 * Adds the `type ext ext...` lines of a mime.types text to `into` (sans-I/O). `#` starts a comment
 * line; the first definition of an extension wins, as in uWSGI (later files do not override).
 * @example parseMimeTypes('text/css css\n', new Map()).get('css') // 'text/css'
 */
export function parseMimeTypes(text: string, into: Map<string, string>): Map<string, string> {
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const type = words[0];
    if (type === undefined || type === '' || type.startsWith('#')) continue;
    for (let i = 1; i < words.length; i++) {
      const ext = words[i] as string;
      if (!into.has(ext)) into.set(ext, type);
    }
  }
  return into;
}

/**
 * The dictionary of `files` (the `mimefile` list, or [DEFAULT_MIME_FILE]). A file that cannot be
 * read is logged and skipped; when no file could be read at all, the bundled table is used.
 */
export function loadMimeTypes(files: readonly string[], log: (line: string) => void): Map<string, string> {
  const types = new Map<string, string>();
  let read = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (err) {
      // the default file is optional: its absence is what the bundled table is for
      if (file !== DEFAULT_MIME_FILE)
        log(`unable to read mime file ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
      continue;
    }
    parseMimeTypes(text, types);
    read++;
  }
  if (read === 0) for (const [ext, type] of BUNDLED_MIME_TYPES) types.set(ext, type);
  return types;
}

/**
 * The type of the extension of a path's last segment (the text after its last dot). uWSGI compares
 * the extension as written; a miss is retried in lower case so `IMG.PNG` is an image too.
 * @example mimeType(types, '/www/a.CSS') // 'text/css'
 */
export function mimeType(types: ReadonlyMap<string, string>, path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  if (dot < 0 || path.indexOf('/', dot) >= 0) return undefined;
  const ext = path.slice(dot + 1);
  if (ext === '') return undefined;
  return types.get(ext) ?? types.get(ext.toLowerCase());
}
