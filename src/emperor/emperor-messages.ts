// The Emperor <-> vassal wire format (reference §6.3): one byte per message over a stream socket
// pair, in both directions. Sans-I/O like src/protocol/: bytes in, message names out, so both
// ends (src/emperor/ and the vassal's src/master/services/emperor-link.ts) share one table.

/** Emperor -> vassal bytes (uWSGI core/emperor.c). */
export const TO_VASSAL = {
  /** stop now (the vassal's kill_them_all) */
  stop: 0,
  /** graceful reload */
  reload: 1,
  /** graceful stop (emperor-graceful-shutdown) */
  'graceful-stop': 2,
} as const;
export type ToVassal = keyof typeof TO_VASSAL;

/** Vassal -> Emperor bytes (uWSGI core/master.c, core/utils.c). */
export const FROM_VASSAL = {
  spawned: 1,
  'config-request': 2,
  accepting: 5,
  loyal: 17,
  'voluntary-shutdown': 22,
  heartbeat: 26,
  sos: 30,
} as const;
export type FromVassal = keyof typeof FROM_VASSAL;

const byByte = <K extends string>(table: Readonly<Record<K, number>>): ReadonlyMap<number, K> =>
  new Map(Object.entries<number>(table).map(([name, byte]) => [byte, name as K]));

const TO_VASSAL_BY_BYTE = byByte(TO_VASSAL);
const FROM_VASSAL_BY_BYTE = byByte(FROM_VASSAL);

/**
 * The messages in `chunk`, in order; an unknown byte is skipped (uWSGI ignores it too).
 * @example decodeFromVassal(Buffer.from([1, 5, 17])) // ['spawned', 'accepting', 'loyal']
 */
export function decodeFromVassal(chunk: Uint8Array): FromVassal[] {
  const out: FromVassal[] = [];
  for (const byte of chunk) {
    const name = FROM_VASSAL_BY_BYTE.get(byte);
    if (name) out.push(name);
  }
  return out;
}

/** @example decodeToVassal(Buffer.from([1])) // ['reload'] */
export function decodeToVassal(chunk: Uint8Array): ToVassal[] {
  const out: ToVassal[] = [];
  for (const byte of chunk) {
    const name = TO_VASSAL_BY_BYTE.get(byte);
    if (name) out.push(name);
  }
  return out;
}

/** The one byte of `message`. */
export const encodeToVassal = (message: ToVassal): Buffer => Buffer.of(TO_VASSAL[message]);
export const encodeFromVassal = (message: FromVassal): Buffer => Buffer.of(FROM_VASSAL[message]);
