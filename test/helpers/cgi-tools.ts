// The interpreters the CGI tests run scripts with (Debian: lua5.4, php-cgi; perl and python3 are
// everywhere). Resolves the first name found on PATH; undefined when none is (a test skips), or an
// error when UWSGI_TS_REQUIRE_CGI_TOOLS is set (CI installs them: .ci/run).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findTool(...names: string[]): string | undefined {
  const dirs = (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter);
  for (const name of names) {
    for (const dir of [...dirs, '/usr/bin', '/bin']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  if (process.env['UWSGI_TS_REQUIRE_CGI_TOOLS']) {
    throw new Error(
      `${names.join(' or ')} is required (UWSGI_TS_REQUIRE_CGI_TOOLS is set) but was not found`,
    );
  }
  return undefined;
}
