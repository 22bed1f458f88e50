// The module resolve hook registered by package-resolve.ts with node:module register() (Node 20):
// runs on the loader thread, so it only maps the bare name 'uwsgi-ts' to the URL it was given.

interface Context {
  readonly parentURL?: string;
}
type NextResolve = (specifier: string, context: Context) => unknown;

let entry = '';

export function initialize(data: { entry: string }): void {
  entry = data.entry;
}

export function resolve(specifier: string, context: Context, nextResolve: NextResolve): unknown {
  if (specifier === 'uwsgi-ts') return { url: entry, format: 'module', shortCircuit: true };
  return nextResolve(specifier, context);
}
