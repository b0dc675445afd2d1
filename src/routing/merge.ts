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

/** The raw bytes of each element of an array reply. */
export function arrayElements(reply: Reply): Buffer[] {
  if (reply.kind !== 'array' || reply.items === null) return [];
  return reply.items.map((item) => item.raw);
}
