// One exported option, in the order uWSGI keeps them (reference §3.1 step 3): the key as written,
// the raw value, where it came from, and whether it has already been applied.

export type Origin =
  | { readonly kind: 'argv'; readonly index: number; readonly flag: string }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'derived'; readonly from: Origin; readonly why: string };

export interface ConfigEntry {
  readonly key: string;
  /** Mutable: the $(), @() and %() passes rewrite it in place, as uWSGI does. */
  value: string;
  readonly origin: Origin;
  /** Immediate options and already-applied ones are not expanded again (reference §3.1 step 4). */
  configured: boolean;
}

/** `app.ini:3`, `command line --socket`, `environment UWSGI_SOCKET`. */
export function formatOrigin(origin: Origin): string {
  switch (origin.kind) {
    case 'argv':
      return `command line ${origin.flag}`;
    case 'env':
      return `environment ${origin.name}`;
    case 'file':
      return `${origin.path}:${origin.line}`;
    case 'derived':
      return `${formatOrigin(origin.from)} (${origin.why})`;
  }
}
