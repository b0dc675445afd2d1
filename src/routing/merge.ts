// Named steps for joining the replies of a split or fanned-out request.
import { decodeReply, type Reply } from '../protocol/decode.js';
import { integer, OK } from '../protocol/encode.js';

/** The first error reply among parts, if any: a partial answer must not pass for a whole one. */
export function firstError(replies: readonly Uint8Array[]): Uint8Array | undefined {
  for (const r of replies) if (r[0] === 45) return r;
  return undefined;
}

export function decodeAll(replies: readonly Uint8Array[]): Reply[] {
  return replies.map(decodeReply);
}

export const sumIntegers = (replies: readonly Uint8Array[]): Uint8Array =>
  firstError(replies) ?? integer(decodeAll(replies).reduce((n, r) => n + (r.kind === 'integer' ? r.value : 0), 0));

export const allOk = (replies: readonly Uint8Array[]): Uint8Array => firstError(replies) ?? OK;

/** The raw bytes of each element of an array reply (views, nothing decoded). */
export function arrayElements(reply: Uint8Array): Buffer[] {
  const buf = Buffer.isBuffer(reply) ? reply : Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  if (buf[0] !== 42) return [];
  let p = buf.indexOf(10) + 1;
  const count = Number(buf.toString('latin1', 1, p - 2));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const end = elementEnd(buf, p);
    out.push(buf.subarray(p, end));
    p = end;
  }
  return out;
}

/** Where the element starting at p ends (bulk strings skip their payload by length). */
function elementEnd(buf: Buffer, p: number): number {
  if (buf[p] === 42) return p + decodeReply(buf.subarray(p)).raw.length;
  const lineEnd = buf.indexOf(10, p) + 1;
  if (buf[p] !== 36) return lineEnd;
  const size = Number(buf.toString('latin1', p + 1, lineEnd - 2));
  return size < 0 ? lineEnd : lineEnd + size + 2;
}
