// RESP2 encoders for the replies jupiter builds itself and the commands it sends on its own.
// Strings are treated as latin1 so that bytes taken from requests round-trip unchanged.
import { arrayHeaderLength, byteCount, copyParts, writeArrayHeader } from './bytes.js';

const CRLF = '\r\n';

/** A command encoded from latin1 strings, with where each argument lies in the bytes. */
export function encodeWithPositions(args: readonly string[]): { raw: Buffer; starts: number[]; ends: number[] } {
  const raw = encodeCommand(args);
  const starts: number[] = [];
  const ends: number[] = [];
  let p = raw.indexOf(10) + 1;
  for (const a of args) {
    const start = raw.indexOf(13, p) + 2;
    starts.push(start);
    ends.push(start + a.length);
    p = start + a.length + 2;
  }
  return { raw, starts, ends };
}

export function encodeCommand(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}${CRLF}`, 'latin1')];
  for (const a of args) parts.push(bulk(a));
  return Buffer.concat(parts);
}

export function bulk(value: string | Uint8Array | null): Buffer {
  if (value === null) return NIL;
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  return Buffer.concat([Buffer.from(`$${bytes.length}${CRLF}`, 'latin1'), bytes, CRLF_BYTES]);
}

export const status = (text: string): Buffer => Buffer.from(`+${text}${CRLF}`, 'latin1');
export const integer = (n: number | bigint): Buffer => Buffer.from(`:${n}${CRLF}`, 'latin1');

/** An array whose elements are already encoded replies (one allocation). */
export function array(items: readonly Uint8Array[]): Buffer {
  const count = items.length;
  const out = Buffer.allocUnsafe(arrayHeaderLength(count) + byteCount(items, count));
  copyParts(items, count, out, writeArrayHeader(out, 0, count));
  return out;
}

export const bulkArray = (values: readonly (string | Uint8Array | null)[]): Buffer => array(values.map(bulk));

const CRLF_BYTES = Buffer.from(CRLF);
export const NIL = Buffer.from(`$-1${CRLF}`);
export const OK = status('OK');
export const PONG = status('PONG');
export const EMPTY_ARRAY = Buffer.from(`*0${CRLF}`);
