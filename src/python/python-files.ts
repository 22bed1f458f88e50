// Which app files are Python ones (no imports: the config checks read it before anything runs).

/** uWSGI's python plugin mounts a file ending in one of these as a wsgi-file. */
export const PYTHON_APP_EXTENSIONS: ReadonlySet<string> = new Set(['.py', '.wsgi']);

export function isPythonFile(file: string): boolean {
  const dot = file.lastIndexOf('.');
  return dot > file.lastIndexOf('/') && PYTHON_APP_EXTENSIONS.has(file.slice(dot).toLowerCase());
}
