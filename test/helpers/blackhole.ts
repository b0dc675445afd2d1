// A "node" that accepts TCP connections and reads everything but never answers: the hung
// server a proxy must time out on.
import net from 'node:net';

export interface Blackhole {
  readonly port: number;
  readonly address: string; // 127.0.0.1:port
  /** Connections accepted so far. */
  accepted(): number;
  /** Bytes received so far, over every connection. */
  bytesReceived(): number;
  /** Closes the listener and every accepted socket. */
  close(): Promise<void>;
}

export async function startBlackhole(): Promise<Blackhole> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  let bytes = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    address: `127.0.0.1:${port}`,
    accepted: () => accepted,
    bytesReceived: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
