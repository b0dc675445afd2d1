// Decodes whole replies into values, for the few request shapes that merge replies from
// several nodes (MGET, DEL sums, SCAN, KEYS, INFO). Single-node replies are never decoded.
// Every value keeps `raw`, its exact bytes, so merges can re-emit elements untouched.
export type Reply =
  | { readonly kind: 'status'; readonly text: string; readonly raw: Buffer }
  | { readonly kind: 'error'; readonly text: string; readonly raw: Buffer }
  | { readonly kind: 'integer'; readonly value: number; readonly raw: Buffer }
  | { readonly kind: 'bulk'; readonly value: Buffer | null; readonly raw: Buffer }
  | { readonly kind: 'array'; readonly items: Reply[] | null; readonly raw: Buffer };

export function decodeReply(bytes: Uint8Array): Reply {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeAt(buf, 0)[0];
}

function decodeAt(buf: Buffer, at: number): [Reply, number] {
  const cr = buf.indexOf(13, at);
  const head = buf.toString('latin1', at + 1, cr);
  const next = cr + 2;
  const raw = (end: number): Buffer => buf.subarray(at, end);
  switch (buf[at]) {
    case 43:
      return [{ kind: 'status', text: head, raw: raw(next) }, next];
    case 45:
      return [{ kind: 'error', text: head, raw: raw(next) }, next];
    case 58:
      return [{ kind: 'integer', value: Number(head), raw: raw(next) }, next];
    case 36: {
      const size = Number(head);
      if (size < 0) return [{ kind: 'bulk', value: null, raw: raw(next) }, next];
      const end = next + size + 2;
      return [{ kind: 'bulk', value: buf.subarray(next, next + size), raw: raw(end) }, end];
    }
    case 42: {
      const count = Number(head);
      if (count < 0) return [{ kind: 'array', items: null, raw: raw(next) }, next];
      const items: Reply[] = [];
      let p = next;
      for (let i = 0; i < count; i++) {
        const [item, after] = decodeAt(buf, p);
        items.push(item);
        p = after;
      }
      return [{ kind: 'array', items, raw: raw(p) }, p];
    }
    default:
      throw new Error(`cannot decode reply byte ${buf[at]}`);
  }
}
