// Encoders for the replies jupiter builds itself (RESP2, and RESP3 where the forms differ: null,
// maps, verbatim text, pushes) and the commands it sends on its own. Strings are treated as latin1
// so that bytes taken from requests round-trip unchanged.
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

// RESP3's own forms, each with the RESP2 form a RESP2 client gets instead.
const NULL3 = Buffer.from(`_${CRLF}`);

/** A null bulk string or array: `_` in RESP3, `$-1` in RESP2. */
export const nil = (resp3: boolean): Buffer => (resp3 ? NULL3 : NIL);

/** A map of already encoded keys and values: `%` in RESP3, a flat array in RESP2. */
export function map(pairs: readonly (readonly [Uint8Array, Uint8Array])[], resp3: boolean): Buffer {
  const flat = pairs.flat();
  if (!resp3) return array(flat);
  return Buffer.concat([Buffer.from(`%${pairs.length}${CRLF}`, 'latin1'), ...flat]);
}

/** Text for a human (INFO, CLIENT INFO): a verbatim string (`=`, format txt) in RESP3, a bulk string in RESP2. */
export function verbatim(text: string | Uint8Array, resp3: boolean): Buffer {
  if (!resp3) return bulk(text);
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return Buffer.concat([Buffer.from(`=${bytes.length + 4}${CRLF}txt:`, 'latin1'), bytes, CRLF_BYTES]);
}

/** Out-of-band data (Pub/Sub): a push (`>`) in RESP3, an array in RESP2. */
export function push(items: readonly Uint8Array[], resp3: boolean): Buffer {
  const out = array(items);
  if (resp3) out[0] = 62;
  return out;
}
