// router_hash (reference §4.4): `hash:key=K,var=V,items=a;b;c[,algo=djb33x|murmur2]` stores in V
// the item picked by the hash of K modulo the number of items (key and items translated).

import { action, badArgs } from './action.js';
import { HASH_ALGOS, type HashAlgo } from './hash-algos.js';
import { parseKvList } from './kvlist.js';
import { RouteCode } from './outcome.js';
import { Template } from './translate.js';

interface HashArgs {
  readonly key: Template;
  readonly variable: Template;
  readonly items: Template;
  readonly algo: (key: Uint8Array) => number;
}

export const HASH_ACTIONS = {
  hash: action<HashArgs>({
    plugin: 'router_hash',
    compile(args, site) {
      const kv = parseKvList(args);
      const key = kv?.get('key');
      const variable = kv?.get('var');
      const items = kv?.get('items');
      if (key === undefined || variable === undefined || items === undefined)
        throw badArgs(site, 'invalid route syntax: you need to specify a hash key, a var and a set of items');
      const name = kv?.get('algo') ?? 'djb33x';
      if (!Object.hasOwn(HASH_ALGOS, name)) throw badArgs(site, `unknown hash algorithm "${name}"`);
      return {
        key: new Template(key),
        variable: new Template(variable),
        items: new Template(items),
        algo: HASH_ALGOS[name as HashAlgo],
      };
    },
    run(run, h) {
      const items = h.items.render(run).split(';');
      const index = h.algo(Buffer.from(h.key.render(run), 'utf8')) % items.length;
      run.set(h.variable.render(run), items[index] ?? '');
      return RouteCode.NEXT;
    },
  }),
} as const;
