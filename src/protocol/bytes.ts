// An append-only byte accumulator for data that spans socket chunks. Bytes once handed out
// (as subarrays) are never written again: growth moves to a new block instead of compacting,
// so queued subarrays stay valid. Growth is geometric, so a large payload costs O(n) copies.
export class ByteAccumulator {
  buf: Buffer = EMPTY;
  len = 0;
  pos = 0;
  // buf's memory, kept so that view() need not ask buf for it each time.
  private memory = EMPTY.buffer as ArrayBuffer;
  private base = 0;

  /** buf[from, to) as a Buffer sharing the memory (see ByteView). */
  view(from: number, to: number): Buffer {
    return new ByteView(this.memory, this.base + from, to - from) as unknown as Buffer;
  }

  private adopt(buf: Buffer): void {
    this.buf = buf;
    this.memory = buf.buffer as ArrayBuffer;
    this.base = buf.byteOffset;
  }

  /** Adds a chunk; unread bytes are kept in front of it. Zero-copy when nothing is left over. */
  append(chunk: Buffer): void {
    const rest = this.len - this.pos;
    if (rest === 0) {
      this.adopt(chunk);
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
    this.adopt(next);
    this.len = needed;
    this.pos = 0;
    this.ownedBuf = next;
  }

  get available(): number {
    return this.len - this.pos;
  }

  /**
   * Drops the references to a fully read chunk and to any block grown for a request that spanned
   * reads, so an idle connection holds no input bytes, whatever it sent before.
   */
  release(): void {
    if (this.pos === this.len) {
      this.adopt(EMPTY);
      this.ownedBuf = null;
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
 * A view made for every request and every reply. Buffer#subarray looks up the constructor's
 * Symbol.species on each call, which measured three times slower than constructing a view
 * directly; this Uint8Array subclass is constructed directly, and with Buffer.prototype in its
 * chain it is a Buffer to every caller (Buffer.isBuffer, toString, copy, socket writes).
 */
class ByteView extends Uint8Array {}
Object.setPrototypeOf(ByteView.prototype, Buffer.prototype);

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
  const out = Buffer.allocUnsafe(byteCount(parts, count));
  copyParts(parts, count, out, 0);
  return out;
}

/** Total length of parts[0..count). */
export function byteCount(parts: readonly Uint8Array[], count: number): number {
  let size = 0;
  for (let i = 0; i < count; i++) size += parts[i].length;
  return size;
}

/** Copies parts[0..count) one after another into out from `at`; returns the end. */
export function copyParts(parts: readonly Uint8Array[], count: number, out: Uint8Array, at: number): number {
  for (let i = 0; i < count; i++) {
    const part = parts[i];
    // Whole arrays need no view for set(), so only the shortest are worth a loop.
    if (part.length > 32) {
      out.set(part, at);
      at += part.length;
    } else at = copyRange(part, 0, part.length, out, at);
  }
  return at;
}

/**
 * Copies src[from, to) into dst at `at` and returns the end. Short ranges (keys, small values)
 * are copied by a loop: set() or Buffer#copy first build a view of the range, which costs more.
 */
export function copyRange(src: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): number {
  if (to - from > 64) {
    dst.set(src.subarray(from, to), at);
    return at + (to - from);
  }
  for (let i = from; i < to; i++) dst[at++] = src[i];
  return at;
}

/** Bytes of `*<count>\r\n`. */
export function arrayHeaderLength(count: number): number {
  let digits = 1;
  for (let n = count; n >= 10; n = Math.floor(n / 10)) digits++;
  return digits + 3;
}

/**
 * Writes `*<count>\r\n` at `at` and returns the end: split requests and merged replies write one
 * per part, and Buffer#write of a string costs more than the digits.
 */
export function writeArrayHeader(out: Uint8Array, at: number, count: number): number {
  const end = at + arrayHeaderLength(count);
  out[at] = 42;
  let p = end - 3;
  for (let n = count; ; n = Math.floor(n / 10)) {
    out[p--] = 48 + (n % 10);
    if (n < 10) break;
  }
  out[end - 2] = 13;
  out[end - 1] = 10;
  return end;
}
