// `jupiter demo`: three throwaway redis-server nodes on free ports, the proxy in front of them,
// and on Ctrl-C everything stopped again, the nodes by their PIDs.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { createProxy, type Proxy } from '../actors/system.js';
import type { Config } from '../config/schema.js';
import { ensureRedisServer } from './redis-server.js';
import { exitOnSignals, listenFailure } from './signals.js';

export interface DemoOptions {
  readonly port: number;
  readonly logLevel: Config['log']['level'];
}

/** A redis-server this process started and must stop. */
export interface RedisChild {
  readonly port: number;
  readonly pid: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

const NODES = 3;
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3000;

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const complain = (line: string): void => void process.stderr.write(`jupiter demo: ${line}\n`);

export async function demo(options: DemoOptions): Promise<void> {
  const redisServer = await ensureRedisServer(complain);
  if (!redisServer) process.exit(1);
  const taken = await listenProblem(HOST, options.port);
  if (taken) {
    complain(`${taken}; choose another with --port`);
    process.exit(1);
  }

  const nodes: RedisChild[] = [];
  // Last resort for an exit we did not plan (an exception, a second Ctrl-C): the nodes must not outlive us.
  process.on('exit', () => {
    for (const n of nodes) if (running(n.process)) n.process.kill('SIGTERM');
  });
  try {
    nodes.push(...(await startRedisNodes(redisServer, NODES)));
  } catch (error) {
    complain((error as Error).message);
    process.exit(1);
  }

  let proxy: Proxy;
  try {
    proxy = await createProxy(
      { port: options.port, bind: HOST, nodes: nodes.map((n) => `${HOST}:${n.port}`), log: { level: options.logLevel } },
      { logger: pino({ name: 'jupiter', level: options.logLevel }) },
    );
  } catch (error) {
    complain(`${listenFailure(error, HOST, options.port) ?? (error as Error).message}`);
    await Promise.all(nodes.map((n) => n.stop()));
    process.exit(1);
  }

  const pids = nodes.map((n) => n.pid).join(' ');
  say(`jupiter demo: ${NODES} redis nodes on ${HOST}:${nodes.map((n) => n.port).join(', :')} (pids: ${pids})`);
  say(`jupiter demo: proxy listening on ${HOST}:${proxy.port}`);
  say(`connect with: redis-cli -p ${proxy.port}`);
  say(`then try:     SET hello world hash=somekey`);
  say(`              GET hello hash=somekey`);
  say(`Ctrl-C stops the proxy and the redis nodes.`);

  exitOnSignals(
    ['SIGINT', 'SIGTERM', 'SIGHUP'],
    async () => {
      await proxy.stop(1000);
      await Promise.all(nodes.map((n) => n.stop()));
      say(`jupiter demo: stopped the proxy and redis-server pids ${pids}`);
    },
    { graceMs: 10_000, say: complain },
  );
}

/** Starts count redis-server nodes on free ports; if any fails, stops the others and throws. */
export async function startRedisNodes(redisServer: string, count: number): Promise<RedisChild[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startRedisNode(redisServer)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw failed.reason;
  }
  return nodes;
}

// A free port can be taken by someone else before redis-server binds it, so try a few.
async function startRedisNode(redisServer: string, attempts = 3): Promise<RedisChild> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // A directory of its own, so a throwaway node never loads a dump.rdb lying where the demo runs.
    const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-demo-'));
    const child = spawn(redisServer, ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a Ctrl-C in the terminal reaches only us and we stop it after the proxy.
      detached: true,
    });
    let lastLine = '';
    const remember = (chunk: Buffer): void => {
      const lines = chunk.toString().trim().split('\n');
      lastLine = lines[lines.length - 1] || lastLine;
    };
    child.stdout!.on('data', remember);
    child.stderr!.on('data', remember);
    try {
      await waitForPort(port, child, START_TIMEOUT_MS);
      return { port, pid: child.pid!, process: child, stop: () => stopChild(child).finally(() => rmSync(dir, { recursive: true, force: true })) };
    } catch (error) {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
      if (attempt >= attempts) throw new Error(`${(error as Error).message}${lastLine ? `: ${lastLine.trim()}` : ''}`);
    }
  }
}

/** Resolves once something accepts connections on the port; fails if the child exits first or time runs out. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running(child)) {
      throw new Error(`redis-server on port ${port} exited (${child.exitCode ?? child.signalCode})`);
    }
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on port ${port} did not accept connections within ${timeoutMs} ms`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Stops a child by its PID: SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (!running(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Why the proxy could not listen on host:port right now, or null when it could. */
function listenProblem(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error) => resolve(listenFailure(error, host, port) ?? error.message));
    server.listen(port, host, () => server.close(() => resolve(null)));
  });
}
