// A raw RESP connection for tests that compare reply bytes (RESP2, or RESP3 after HELLO 3): it writes encoded commands as they
// are and hands back each reply's exact bytes, framed by its own small reader (not jupiter's), so a
// framing bug in jupiter cannot hide itself.
import net from 'node:net';

export type Arg = string | Buffer;

export function encodeCommand(args: readonly Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * The offset just past the reply that starts at `start`, or -1 if the buffer holds only part of it.
 * RESP2 and RESP3: lines (+ - : _ # , ( ), sized bodies ($ ! = ), aggregates (* ~ > , and % | in pairs,
 * an attribute followed by the reply it describes).
 */
export function replyEnd(buf: Buffer, start: number): number {
  const lineEnd = buf.indexOf('\r\n', start);
  if (lineEnd < 0) return -1;
  const type = String.fromCharCode(buf[start]);
  const next = lineEnd + 2;
  if ('+-:_#,('.includes(type)) return next;
  const n = Number(buf.toString('latin1', start + 1, lineEnd));
  if (!Number.isInteger(n)) throw new Error(`bad reply header ${JSON.stringify(buf.toString('latin1', start, lineEnd))}`);
  if ('$!='.includes(type)) {
    if (n < 0) return next;
    return buf.length >= next + n + 2 ? next + n + 2 : -1;
  }
  if ('*~>%|'.includes(type)) {
    const elements = Math.max(0, n) * ('%|'.includes(type) ? 2 : 1) + (type === '|' ? 1 : 0);
    let p = next;
    for (let i = 0; i < elements; i++) {
      p = replyEnd(buf, p);
      if (p < 0) return -1;
    }
    return p;
  }
  throw new Error(`unknown reply type ${JSON.stringify(type)}`);
}

/** The raw bytes of each element of an array reply, or of a RESP3 set or map (keys and values in turn); undefined for anything else. */
export function arrayItems(reply: Buffer): Buffer[] | undefined {
  const type = String.fromCharCode(reply[0]);
  if (!'*~%'.includes(type)) return undefined;
  const lineEnd = reply.indexOf('\r\n');
  const n = Number(reply.toString('latin1', 1, lineEnd)) * (type === '%' ? 2 : 1);
  const items: Buffer[] = [];
  let p = lineEnd + 2;
  for (let i = 0; i < n; i++) {
    const end = replyEnd(reply, p);
    items.push(reply.subarray(p, end));
    p = end;
  }
  return items;
}

export class RawConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private closedError: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    const closed = (): void => {
      this.closedError ??= new Error('connection closed');
      this.waiting?.();
    };
    socket.on('close', closed);
    socket.on('error', (e) => {
      this.closedError = e;
      closed();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Writes every command in one write, without waiting for replies (read them with replies()). */
  send(commands: readonly (readonly Arg[])[]): void {
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
  }

  /** Writes every command in one write (a pipeline) and returns their replies' bytes. */
  async call(commands: readonly (readonly Arg[])[], timeoutMs = 10_000): Promise<Buffer[]> {
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    return this.replies(commands.length, timeoutMs);
  }

  /**
   * Like call(), but a connection the server closes early is an outcome, not an error: the replies
   * that came, then `closed` set (Redis closes after a protocol error, for instance).
   */
  async callUntilClosed(commands: readonly (readonly Arg[])[], timeoutMs = 10_000): Promise<{ replies: Buffer[]; closed: boolean }> {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    const out: Buffer[] = [];
    try {
      await this.replies(commands.length, timeoutMs, out);
      return { replies: out, closed: false };
    } catch (error) {
      if (this.closedError === null) throw error;
      return { replies: out, closed: true };
    }
  }

  async replies(count: number, timeoutMs = 10_000, out: Buffer[] = []): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    let p = 0;
    while (out.length < count) {
      const end = this.buffer.length > p ? replyEnd(this.buffer, p) : -1;
      if (end >= 0) {
        out.push(Buffer.from(this.buffer.subarray(p, end)));
        p = end;
        continue;
      }
      if (this.closedError) throw new Error(`${this.closedError.message} after ${out.length} of ${count} replies`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${out.length} of ${count} replies within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = null;
    }
    this.buffer = this.buffer.subarray(p);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}
