// An append-only byte accumulator for data that spans socket chunks. Bytes once handed out
// (as subarrays) are never written again: growth moves to a new block instead of compacting,
// so queued subarrays stay valid. Growth is geometric, so a large payload costs O(n) copies.
export class ByteAccumulator {
  buf: Buffer = EMPTY;
  len = 0;
  pos = 0;

  /** Adds a chunk; unread bytes are kept in front of it. Zero-copy when nothing is left over. */
  append(chunk: Buffer): void {
    const rest = this.len - this.pos;
    if (rest === 0) {
      this.buf = chunk;
      this.len = chunk.length;
      this.pos = 0;
      return;
    }
    const needed = rest + chunk.length;
    if (this.owned && this.len + chunk.length <= this.buf.length) {
      chunk.copy(this.buf, this.len);
      this.len += chunk.length;
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(needed * 2, 16384));
    this.buf.copy(next, 0, this.pos, this.len);
    chunk.copy(next, rest);
    this.buf = next;
    this.len = needed;
    this.pos = 0;
    this.ownedBuf = next;
  }

  get available(): number {
    return this.len - this.pos;
  }

  /** Drops the reference to a fully read chunk, so an idle connection holds no input bytes. */
  release(): void {
    if (this.pos === this.len) {
      this.buf = EMPTY;
      this.len = 0;
      this.pos = 0;
    }
  }

  private ownedBuf: Buffer | null = null;
  private get owned(): boolean {
    return this.ownedBuf === this.buf;
  }
}

export const EMPTY = Buffer.alloc(0);

/**
 * Index of the first CR in [from, end), or -1. A plain loop: the lines scanned are length headers
 * a few bytes long, where Buffer.indexOf's call into C++ costs more than the scan.
 */
export function findCR(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (buf[i] === 13) return i;
  return -1;
}

/**
 * Parses a decimal integer in buf[start, end) as Redis's string2ll does: an optional '-' then digits,
 * no leading zeros, no "-0". Returns NaN for anything else, or beyond the safe integer range.
 */
export function parseInteger(buf: Uint8Array, start: number, end: number): number {
  if (start >= end) return NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    if (++i === end) return NaN;
  }
  if (buf[i] === 48 && (i + 1 < end || negative)) return NaN;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  if (!Number.isSafeInteger(n)) return NaN;
  return negative ? -n : n;
}

/**
 * parts[0..count) as one buffer, so a turn's output is one write (one syscall). The array's
 * tail past count is stale and ignored, which Buffer.concat would not allow.
 */
export function joinBytes(parts: readonly Uint8Array[], count: number): Uint8Array {
  if (count === 1) return parts[0];
  let size = 0;
  for (let i = 0; i < count; i++) size += parts[i].length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < count; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out;
}
