// A raw TCP client for byte-exact protocol tests: write bytes as they are, read exactly what
// the server sends, and tell whether the server closed the connection.
import net from 'node:net';

export class RawClient {
  private received = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** Set once the server ended or closed the connection. */
  ended = false;
  /** Set once the socket is closed in both directions. */
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    socket.on('end', () => this.markEnded());
    socket.on('close', () => {
      this.closed = true;
      this.markEnded();
    });
    socket.on('error', () => this.markEnded());
  }

  /** allowHalfOpen: keep this side open after the server ends its side, as some clients do. */
  static connect(port: number, { allowHalfOpen = false } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Writes one byte per write, letting the event loop turn between bytes so each arrives alone. */
  async writeBytewise(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    for (let i = 0; i < bytes.length; i++) {
      await this.write(bytes.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Waits until at least n bytes arrived (or the connection ended, or ms passed); returns and consumes them all. */
  async read(n: number, ms = 3000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.received.length < n && !this.ended && Date.now() < deadline) await this.wait(deadline - Date.now());
    const out = this.received.toString('latin1');
    this.received = Buffer.alloc(0);
    return out;
  }

  /** Reads until `expected.length` bytes arrived and returns what came (to compare with expected). */
  readLike(expected: string, ms = 3000): Promise<string> {
    return this.read(Buffer.byteLength(expected, 'latin1'), ms);
  }

  /** True if the server closes the connection within ms. */
  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.ended && Date.now() < deadline) await this.wait(deadline - Date.now());
    return this.ended;
  }

  /** True if the socket closes in both directions within ms. */
  async fullyClosedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await this.wait(deadline - Date.now());
    return this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Writes without waiting, for writes that may fail because the server is gone. */
  writeAndForget(data: string): void {
    this.socket.write(data, () => {});
  }

  private markEnded(): void {
    this.ended = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
