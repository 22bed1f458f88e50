// A small synchronous glob(3) for `for-glob`: `*`, `?` and `[...]` inside path segments,
// results sorted, directories marked with a trailing `/` and a pattern matching nothing returned
// as itself, as uWSGI's glob(GLOB_MARK | GLOB_NOCHECK) does. Node 20 has no fs.globSync.

import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

const MAGIC = /[*?[]/;

function segmentRegExp(segment: string): RegExp {
  let re = '^';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = segment.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

/** Paths matching `pattern`, relative patterns resolved against `cwd` but returned as written. */
export function globSync(pattern: string, cwd: string): string[] {
  if (!MAGIC.test(pattern)) {
    try {
      statSync(isAbsolute(pattern) ? pattern : join(cwd, pattern));
      return [pattern];
    } catch {
      return [pattern];
    }
  }
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let found: string[] = [absolute ? '/' : ''];
  for (const segment of segments) {
    if (segment === '') continue;
    const next: string[] = [];
    for (const base of found) {
      const dir = base === '' ? cwd : isAbsolute(base) ? base : join(cwd, base);
      if (!MAGIC.test(segment)) {
        const candidate = base === '' ? segment : base.endsWith('/') ? base + segment : `${base}/${segment}`;
        try {
          statSync(isAbsolute(candidate) ? candidate : join(cwd, candidate));
          next.push(candidate);
        } catch {
          // not there: no match on this branch
        }
        continue;
      }
      const re = segmentRegExp(segment);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (re.test(name))
          next.push(base === '' ? name : base.endsWith('/') ? base + name : `${base}/${name}`);
      }
    }
    found = next;
  }
  if (found.length === 0) return [pattern];
  return found
    .map((p) => (isDirectory(isAbsolute(p) ? p : join(cwd, p)) && !p.endsWith('/') ? `${p}/` : p))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
