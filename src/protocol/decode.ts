// Decodes whole replies into values, for the few request shapes that merge replies from
// several nodes (DEL sums, SCAN, INFO). Single-node replies are never decoded. Every value keeps
// `raw`, its exact bytes, so merges can re-emit elements untouched; where a reply ends is the
// framing's one walker (replyEnd), so decoding only reads headers.
import { findCR } from './bytes.js';
import { replyEnd } from './replies.js';

export type Reply =
  | { readonly kind: 'status'; readonly text: string; readonly raw: Buffer }
  | { readonly kind: 'error'; readonly text: string; readonly raw: Buffer }
  | { readonly kind: 'integer'; readonly value: number; readonly raw: Buffer }
  | { readonly kind: 'bulk'; readonly value: Buffer | null; readonly raw: Buffer }
  | { readonly kind: 'array'; readonly items: Reply[] | null; readonly raw: Buffer };

export function decodeReply(bytes: Uint8Array): Reply {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeAt(buf, 0);
}

function decodeAt(buf: Buffer, at: number): Reply {
  const end = replyEnd(buf, at);
  if (end < 0) throw new Error(`cannot decode reply byte ${buf[at]}`);
  const raw = buf.subarray(at, end);
  const cr = findCR(buf, at + 1, end);
  const head = buf.toString('latin1', at + 1, cr);
  // RESP3's types read as their RESP2 kin: null as a null bulk, booleans, doubles and big numbers
  // as status text, a blob error as an error, a verbatim string as its text, maps (as pairs), sets
  // and pushes as arrays.
  switch (buf[at]) {
    case 43: // +
    case 35: // #
    case 44: // ,
    case 40: // (
      return { kind: 'status', text: head, raw };
    case 45: // -
      return { kind: 'error', text: head, raw };
    case 33: // !
      return { kind: 'error', text: buf.toString('latin1', cr + 2, end - 2), raw };
    case 58: // :
      return { kind: 'integer', value: Number(head), raw };
    case 95: // _
      return { kind: 'bulk', value: null, raw };
    case 36: // $
    case 61: {
      // = (verbatim: a three-letter format and ':' before the text)
      const size = Number(head);
      const skip = buf[at] === 61 ? 4 : 0;
      return { kind: 'bulk', value: size < 0 ? null : buf.subarray(cr + 2 + skip, cr + 2 + size), raw };
    }
    default: {
      // * ~ > and % (each pair as two items); an attribute is skipped for the reply it precedes.
      if (buf[at] === 124) return decodeAt(buf, attributeEnd(buf, at));
      const count = Number(head) * (buf[at] === 37 ? 2 : 1);
      if (count < 0) return { kind: 'array', items: null, raw };
      const items: Reply[] = [];
      for (let i = 0, p = cr + 2; i < count; i++) {
        const item = decodeAt(buf, p);
        items.push(item);
        p += item.raw.length;
      }
      return { kind: 'array', items, raw };
    }
  }
}

/** Where the attribute (|n and its n pairs) starting at `at` ends: the described reply starts there. */
function attributeEnd(buf: Buffer, at: number): number {
  const cr = findCR(buf, at + 1, buf.length);
  let p = cr + 2;
  for (let i = 0, n = Number(buf.toString('latin1', at + 1, cr)) * 2; i < n; i++) p = replyEnd(buf, p);
  return p;
}
