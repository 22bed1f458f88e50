// The apps a config names: `app = FILE[:callable]` and `mount = /prefix=FILE[:callable]`, with
// `callable` applying to both (the seed's `callable = app`).

import { formatOrigin } from '../config/entry.js';
import { findOption } from '../config/option-registry.js';
import type { Config } from '../config/resolve.js';
import { UwsgiError } from '../errors.js';
import { isPythonFile } from '../python/python-files.js';
import { pythonAppSpecs } from '../python/python-plan.js';
import type { AppSpec } from '../worker/plan.js';

/** `file[:callable]`: the last `:` after the last `/` names the export. */
function appSpec(mountpoint: string, value: string): AppSpec {
  const colon = value.lastIndexOf(':');
  const split = colon > value.lastIndexOf('/') && colon > 1;
  const file = split ? value.slice(0, colon) : value;
  const callable = split ? value.slice(colon + 1) : undefined;
  // a .py/.wsgi file is a Python wsgi-file (uWSGI's python plugin mounts it so)
  return isPythonFile(file) ? { mountpoint, file, callable, python: 'file' } : { mountpoint, file, callable };
}

export function appSpecs(config: Config): AppSpec[] {
  const apps: AppSpec[] = [];
  const callable = config.get('callable')?.value;
  for (const entry of config.entries) {
    const name = findOption(entry.key)?.name;
    const python = name === undefined ? undefined : pythonAppSpecs(config, name, entry.value);
    if (python) {
      apps.push(python);
    } else if (name === 'app') {
      const spec = appSpec('', entry.value);
      apps.push(spec.callable === undefined && callable ? { ...spec, callable } : spec);
    } else if (name === 'mount') {
      const eq = entry.value.indexOf('=');
      if (eq < 0)
        throw new UwsgiError(
          'ERR_CONFIG_BAD_VALUE',
          `mount needs /mountpoint=app: "${entry.value}" (${formatOrigin(entry.origin)})`,
        );
      const spec = appSpec(entry.value.slice(0, eq), entry.value.slice(eq + 1));
      // uWSGI applies `callable` to mounted apps too (the seed's `callable = app`)
      apps.push(spec.callable === undefined && callable ? { ...spec, callable } : spec);
    }
  }
  return apps;
}
