// Real redis-server processes for tests, on free ports, stopped by their PID.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';
import { Children } from './children.js';

export interface RedisNode {
  readonly port: number;
  readonly address: string; // 127.0.0.1:port
  readonly process: ChildProcess;
  stop(): Promise<void>;
  /** Starts the node again on the same port (after stop). */
  restart(): Promise<RedisNode>;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on ${port} did not start within ${timeoutMs} ms`);
}

// The redis-server processes this file started: killed by PID if the file exits with some still running.
const started = new Children();

/** `extra`: more redis-server arguments, such as `['--rename-command', 'MIGRATE', '']`. */
export async function startRedis(port?: number, extra: readonly string[] = []): Promise<RedisNode> {
  const p = port ?? (await freePort());
  // A directory of its own: a node never loads another's dump.rdb (a replica's full sync writes one).
  const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-redis-'));
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra], {
    stdio: 'ignore',
  });
  started.add(child);
  await waitForPort(p, child);
  const node: RedisNode = {
    port: p,
    address: `127.0.0.1:${p}`,
    process: child,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: () => startRedis(p, extra),
  };
  return node;
}

export async function startRedisNodes(count: number): Promise<RedisNode[]> {
  return Promise.all(Array.from({ length: count }, () => startRedis()));
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
