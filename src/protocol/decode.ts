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
  switch (buf[at]) {
    case 43:
      return { kind: 'status', text: head, raw };
    case 45:
      return { kind: 'error', text: head, raw };
    case 58:
      return { kind: 'integer', value: Number(head), raw };
    case 36: {
      const size = Number(head);
      return { kind: 'bulk', value: size < 0 ? null : buf.subarray(cr + 2, cr + 2 + size), raw };
    }
    default: {
      const count = Number(head);
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
