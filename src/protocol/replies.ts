// Finds reply boundaries in a node's byte stream (RESP2 or RESP3) without decoding values, so each
// reply can be handed back to its client as the exact bytes the node sent. Hand-written for the hot path;
// resumable across chunks (nested arrays included), so a large reply is scanned once.
import { ByteAccumulator, findCR, parseInteger } from './bytes.js';
import { REDIS_LIMITS } from './limits.js';

// Status, error and length lines from a healthy node are short; a node sending a line without
// end is broken, and must not make the proxy buffer without bound.
const MAX_LINE = 64 * 1024;

// What each type byte of RESP2 and RESP3 frames as: a line (+ - : and RESP3's _ # , ( ), a
// length-prefixed body ($, and RESP3's ! = ), or an aggregate of elements (* and RESP3's ~ >; maps %
// and attributes | count pairs, and an attribute is followed by the reply it describes).
const LINE = 1;
const BULK = 2;
const AGGREGATE = 3;
const PAIRS = 4;
const ATTRIBUTE = 5;
const KIND = new Uint8Array(256);
for (const c of '+-:_#,(') KIND[c.charCodeAt(0)] = LINE;
for (const c of '$!=') KIND[c.charCodeAt(0)] = BULK;
for (const c of '*~>') KIND[c.charCodeAt(0)] = AGGREGATE;
KIND['%'.charCodeAt(0)] = PAIRS;
KIND['|'.charCodeAt(0)] = ATTRIBUTE;

export class ReplyProtocolError extends Error {
  constructor(detail: string) {
    super(`bad reply from node: ${detail}`);
    this.name = 'ReplyProtocolError';
  }
}

export interface FramerLimits {
  readonly maxBulkLength: number;
  readonly maxArrayLength: number;
}

export const defaultFramerLimits: FramerLimits = { maxBulkLength: REDIS_LIMITS.maxBulkLength, maxArrayLength: REDIS_LIMITS.maxMultibulkLength };

export class ReplyFramer {
  private readonly input = new ByteAccumulator();
  // Elements still expected at each open array level; empty between replies.
  private readonly remaining: number[] = [];
  private offset = 0;
  private need = 0;

  constructor(private readonly limits: FramerLimits = defaultFramerLimits) {}

  push(chunk: Buffer): void {
    this.input.append(chunk);
  }

  /** The next complete top-level reply, or null when more bytes are needed. */
  next(): Buffer | null {
    const input = this.input;
    const { buf, pos, len } = input;
    if (len - pos === 0) {
      // Between replies the framer holds no bytes: not the last chunk, nor a block grown for a big reply.
      input.release();
      return null;
    }
    if (len - pos < this.need) return null;
    const remaining = this.remaining;
    for (;;) {
      const at = pos + this.offset;
      if (at >= len) return this.wait(this.offset + 1);
      const cr = findCR(buf, at + 1, len);
      if (cr === -1 && len - at > MAX_LINE) throw new ReplyProtocolError('reply line too long');
      if (cr === -1 || cr + 1 >= len) return this.wait(cr === -1 ? 0 : cr + 2 - pos);
      const type = buf[at];
      let end = cr + 2;
      const kind = KIND[type];
      if (kind === BULK) {
        const size = parseInteger(buf, at + 1, cr);
        // Only $ has a null form (-1); !verbatim and =blob error do not.
        if (Number.isNaN(size) || size < (type === 36 ? -1 : 0) || size > this.limits.maxBulkLength) throw new ReplyProtocolError('bulk length');
        if (size >= 0) {
          end += size + 2;
          if (end > len) return this.wait(end - pos);
        }
      } else if (kind >= AGGREGATE) {
        const count = parseInteger(buf, at + 1, cr);
        if (Number.isNaN(count) || count < (type === 42 ? -1 : 0) || count > this.limits.maxArrayLength) throw new ReplyProtocolError('array length');
        const elements = count * (kind === AGGREGATE ? 1 : 2) + (kind === ATTRIBUTE ? 1 : 0);
        if (elements > 0) {
          remaining.push(elements);
          this.offset = end - pos;
          continue;
        }
      } else if (kind !== LINE) {
        throw new ReplyProtocolError(`unexpected byte ${type}`);
      }
      this.offset = end - pos;
      // One element done: close every array level it completes.
      while (remaining.length > 0 && --remaining[remaining.length - 1] === 0) remaining.pop();
      if (remaining.length === 0) {
        const reply = input.view(pos, end);
        input.pos = end;
        this.offset = 0;
        this.need = 0;
        return reply;
      }
    }
  }

  private wait(need: number): null {
    this.need = need;
    return null;
  }
}

/**
 * Where the whole reply that starts at `at` ends (nested arrays included), or -1 if buf[at, end)
 * holds only part of one or something that is not a reply. The one walker over replies already
 * received; the framer above does the same job resumably, over a stream. It allocates nothing:
 * an array's elements are simply added to the count of elements still to skip.
 */
export function replyEnd(buf: Uint8Array, at: number, end = buf.length): number {
  let p = at;
  for (let pending = 1; pending > 0; pending--) {
    if (p >= end) return -1;
    const cr = findCR(buf, p + 1, end);
    if (cr === -1 || cr + 1 >= end) return -1;
    const type = buf[p];
    let next = cr + 2;
    const kind = KIND[type];
    if (kind === BULK) {
      const size = parseInteger(buf, p + 1, cr);
      if (Number.isNaN(size) || size < -1) return -1;
      if (size >= 0) next += size + 2;
    } else if (kind >= AGGREGATE) {
      const count = parseInteger(buf, p + 1, cr);
      if (Number.isNaN(count) || count < -1) return -1;
      // An attribute's pairs come before the reply they describe, which is still to come.
      if (count > 0) pending += count * (kind === AGGREGATE ? 1 : 2) + (kind === ATTRIBUTE ? 1 : 0);
      else if (kind === ATTRIBUTE) pending++;
    } else if (kind !== LINE) {
      return -1;
    }
    if (next > end) return -1;
    p = next;
  }
  return p;
}

/** An error reply: RESP's simple error (-) or RESP3's blob error (!). */
export const isErrorReply = (bytes: Uint8Array): boolean => bytes[0] === 45 || bytes[0] === 33;
