// Streaming RESP request parser. Hand-written because it is the hot path: it marks where each
// argument lies in the received bytes and never copies or decodes them, so the bytes can be
// forwarded untouched. The parser is itself the view of the current request (no object per command).
import { ByteAccumulator, EMPTY, findCR, parseInteger } from './bytes.js';
import { ProtocolError, protocolErrors } from './errors.js';
import { splitInline } from './inline.js';
import { encodeWithPositions } from './encode.js';
import { REDIS_LIMITS } from './limits.js';

export interface ParserLimits {
  /** Largest bulk argument accepted (Redis proto-max-bulk-len, 512 MiB). */
  readonly maxBulkLength: number;
  /** Largest argument count accepted (Redis accepts up to INT_MAX). */
  readonly maxMultibulkLength: number;
  /** Largest unterminated inline request (Redis PROTO_INLINE_MAX_SIZE, 64 KiB). */
  readonly maxInlineLength: number;
  /** Largest unparsed input held for one client (Redis client-query-buffer-limit, 1 GiB). */
  readonly maxQueryBuffer: number;
}

export const defaultParserLimits: ParserLimits = REDIS_LIMITS;

/** Redis's caps before AUTH (networking.c; the query buffer cap since 7.2.5). */
const UNAUTHENTICATED = { maxMultibulkLength: 10, maxBulkLength: 16384, maxQueryBuffer: 1024 * 1024 } as const;

export class RequestParser {
  /** The current request's bytes (valid after next() returned true, until the next call). */
  raw: Buffer = EMPTY;
  /** Argument count of the current request, command name included. */
  argc = 0;
  /** Argument i (< argc) lies at raw[starts[i], ends[i]); the arrays are reused, so only argc counts. */
  // Three entries cover GET and SET without growing; an idle connection keeps just these.
  starts: number[] = [0, 0, 0];
  ends: number[] = [0, 0, 0];

  /**
   * Before AUTH, Redis's caps for unauthenticated clients apply: 10 arguments, 16 KiB per bulk,
   * 1 MiB of unparsed input, so a client without the password cannot make jupiter hold memory.
   */
  unauthenticated = false;

  private readonly input = new ByteAccumulator();
  private readonly limits: ParserLimits;
  // Progress through a multibulk request that has not fully arrived, relative to its first byte.
  private declared = 0;
  private parsed = 0;
  private shrinkAfterUse = false;
  private offset = 0;
  // Bytes (from the request start) that must be buffered before parsing can progress.
  private need = 0;

  constructor(limits: ParserLimits = defaultParserLimits) {
    this.limits = limits;
  }

  push(chunk: Buffer): void {
    this.input.append(chunk);
    if (this.input.available > (this.unauthenticated ? UNAUTHENTICATED.maxQueryBuffer : this.limits.maxQueryBuffer)) throw protocolErrors.queryBufferLimit();
  }

  /** Bytes received but not yet parsed into a request. */
  get buffered(): number {
    return this.input.available;
  }

  /** Parses the next complete request into raw/argc/starts/ends; false when more bytes are needed. */
  next(): boolean {
    if (this.shrinkAfterUse) {
      this.shrinkAfterUse = false;
      this.starts = [0, 0, 0];
      this.ends = [0, 0, 0];
    }
    const input = this.input;
    for (;;) {
      const available = input.available;
      if (available === 0) {
        input.release();
        // The last request's view would keep its whole block alive on an idle connection.
        this.raw = EMPTY;
        return false;
      }
      if (available < this.need) return false;
      if (this.declared === 0) {
        const first = input.buf[input.pos];
        const started = first === 42 ? this.startMultibulk() : this.parseInline();
        if (started === Step.Incomplete) return false;
        if (started === Step.Done) return true;
        if (started === Step.Skipped) continue;
      }
      return this.continueMultibulk();
    }
  }

  argString(i: number): string {
    return this.raw.toString('latin1', this.starts[i], this.ends[i]);
  }

  argBuffer(i: number): Buffer {
    return this.raw.subarray(this.starts[i], this.ends[i]);
  }

  argLength(i: number): number {
    return this.ends[i] - this.starts[i];
  }

  /** All arguments as latin1 strings (byte-preserving), for the rare paths that rewrite a request. */
  argStrings(): string[] {
    const out = new Array<string>(this.argc);
    for (let i = 0; i < this.argc; i++) out[i] = this.argString(i);
    return out;
  }

  private startMultibulk(): Step {
    const { buf, pos, len } = this.input;
    const cr = findCR(buf, pos + 1, len);
    if (cr === -1) {
      if (len - pos > this.limits.maxInlineLength) throw protocolErrors.tooBigMbulkCount();
      this.need = 0;
      return Step.Incomplete;
    }
    if (cr + 1 >= len) {
      this.need = cr + 2 - pos;
      return Step.Incomplete;
    }
    const count = parseInteger(buf, pos + 1, cr);
    if (Number.isNaN(count) || count > this.limits.maxMultibulkLength) throw protocolErrors.invalidMultibulkLength();
    if (this.unauthenticated && count > UNAUTHENTICATED.maxMultibulkLength) throw protocolErrors.unauthenticatedMultibulkLength();
    this.need = 0;
    if (count <= 0) {
      // Redis ignores *0 and negative counts without a reply.
      this.input.pos = cr + 2;
      return Step.Skipped;
    }
    this.declared = count;
    this.parsed = 0;
    this.offset = cr + 2 - pos;
    return Step.Started;
  }

  private continueMultibulk(): boolean {
    const input = this.input;
    const { buf, pos, len } = input;
    const { starts, ends } = this;
    while (this.parsed < this.declared) {
      const at = pos + this.offset;
      if (at >= len) {
        this.need = this.offset + 1;
        return false;
      }
      if (buf[at] !== 36) throw protocolErrors.expectedDollar(buf[at]);
      const cr = findCR(buf, at + 1, len);
      if (cr === -1) {
        if (len - at > this.limits.maxInlineLength) throw protocolErrors.tooBigBulkCount();
        this.need = 0;
        return false;
      }
      if (cr + 1 >= len) {
        this.need = cr + 2 - pos;
        return false;
      }
      const size = parseInteger(buf, at + 1, cr);
      if (Number.isNaN(size) || size < 0 || size > this.limits.maxBulkLength) throw protocolErrors.invalidBulkLength();
      if (this.unauthenticated && size > UNAUTHENTICATED.maxBulkLength) throw protocolErrors.unauthenticatedBulkLength();
      const start = cr + 2;
      const stop = start + size;
      if (stop + 2 > len) {
        this.need = stop + 2 - pos;
        return false;
      }
      // Like Redis, the two bytes after a payload are skipped, not checked; the node skips them too.
      starts[this.parsed] = start - pos;
      ends[this.parsed++] = stop - pos;
      this.offset = stop + 2 - pos;
    }
    this.raw = input.view(pos, pos + this.offset);
    this.argc = this.declared;
    // A huge request must not leave huge arrays behind on an idle connection.
    if (this.argc > 1024) this.shrinkAfterUse = true;
    input.pos = pos + this.offset;
    this.declared = 0;
    this.offset = 0;
    this.need = 0;
    return true;
  }

  private parseInline(): Step {
    const input = this.input;
    const { buf, pos, len } = input;
    const nl = buf.indexOf(10, pos);
    if (nl === -1 || nl >= len) {
      if (len - pos > this.limits.maxInlineLength) throw protocolErrors.tooBigInline();
      this.need = 0;
      return Step.Incomplete;
    }
    const lineEnd = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl;
    const args = splitInline(buf.toString('latin1', pos, lineEnd));
    input.pos = nl + 1;
    this.need = 0;
    if (args === null) throw protocolErrors.unbalancedQuotes();
    if (args.length === 0) return Step.Skipped;
    this.setRequest(args);
    return Step.Done;
  }

  /** Makes the current request a multibulk encoding of args (used for inline requests). */
  private setRequest(args: readonly string[]): void {
    const { raw, starts, ends } = encodeWithPositions(args);
    this.raw = raw;
    this.starts = starts;
    this.ends = ends;
    this.argc = args.length;
  }
}

const enum Step {
  Incomplete,
  Started,
  Skipped,
  Done,
}

export { ProtocolError };
