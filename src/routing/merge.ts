// Named steps for joining the replies of a split or fanned-out request.
import { decodeReply, type Reply } from '../protocol/decode.js';
import { integer, OK } from '../protocol/encode.js';
import { findCR, parseInteger } from '../protocol/bytes.js';
import { replyEnd } from '../protocol/replies.js';

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

/** The raw bytes of each element of an array reply (views, nothing decoded); none for anything else. */
export function arrayElements(reply: Uint8Array): Buffer[] {
  const buf = Buffer.isBuffer(reply) ? reply : Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  if (buf[0] !== 42) return [];
  const cr = findCR(buf, 1, buf.length);
  const count = parseInteger(buf, 1, cr);
  const out: Buffer[] = [];
  for (let i = 0, p = cr + 2; i < count; i++) {
    const end = replyEnd(buf, p);
    if (end < 0) break;
    out.push(buf.subarray(p, end));
    p = end;
  }
  return out;
}
