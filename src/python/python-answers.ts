// The answers to a Python `uwsgi` module call as python/uwsgi.py `_decode` reads them: a tag
// byte, then the value (N None, T True, F False, B bytes, I int, L list, E error -> ValueError).
// Shared by the call tables beside python-api.ts (signals, mules, sharedarea).

import { encodeList } from './python-frames.js';

export const NONE = Buffer.from('N');
export const TRUE = Buffer.from('T');
export const FALSE = Buffer.from('F');

export const answerBytes = (value: Buffer | undefined): Buffer =>
  value === undefined ? NONE : Buffer.concat([Buffer.from('B'), value]);
export const answerInt = (value: bigint | number | undefined): Buffer =>
  value === undefined ? NONE : Buffer.from(`I${value}`);
export const answerList = (items: readonly Buffer[]): Buffer =>
  Buffer.concat([Buffer.from('L'), encodeList(items)]);
export const answerError = (err: unknown): Buffer =>
  Buffer.from(`E${err instanceof Error ? err.message : String(err)}`, 'utf8');

/** An integer argument ('' or missing: `fallback`); a call's arguments travel as ASCII digits. */
export function intArg(arg: Buffer | undefined, fallback: number): number {
  if (arg === undefined || arg.length === 0) return fallback;
  const value = Number(arg.toString('latin1'));
  if (!Number.isInteger(value)) throw new Error(`not an integer: ${arg.toString('latin1')}`);
  return value;
}

/** A bigint argument (sharedarea 64-bit values). */
export function bigArg(arg: Buffer | undefined, fallback: bigint): bigint {
  if (arg === undefined || arg.length === 0) return fallback;
  return BigInt(arg.toString('latin1'));
}
