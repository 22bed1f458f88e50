// uWSGI's `k=v,k2=v2` argument lists (uwsgi_kvlist_parse), as router_static, router_cache,
// router_hash, router_expires and the transformations take them. A `\` makes the next character
// literal (so `\,` keeps a comma in a value); an item without `=` makes the list invalid.

/** The pairs in order, or undefined when an item has no `=`. */
export function parseKvList(text: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  if (text === '') return out;
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      continue;
    }
    if (c === ',') {
      items.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  items.push(cur);
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) return undefined;
    out.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return out;
}
