// The jupiter command run as a user runs it: from source, in a child process. startCli() for a
// command that keeps running (serve, demo), runCli() for one that ends (admin, blob). Every child
// started here is killed by its PID by stopClis(), which a test file calls in its after().
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Children } from './children.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export interface Cli {
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the first stdout line matching re; rejects if the command exits first. */
  line(re: RegExp): Promise<RegExpMatchArray>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

const started = new Children();

function launch(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.add(child);
  return child;
}

/** Starts `jupiter ...args` and keeps it running. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Cli {
  const child = launch(args, env);
  child.stdin!.end();
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    line: (re) =>
      new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = out.split('\n').map((l) => l.match(re)).find((m) => m !== null);
          if (found) resolve(found);
          return found !== undefined;
        };
        if (check()) return;
        const onData = (): void => void (check() && child.stdout!.off('data', onData));
        child.stdout!.on('data', onData);
        void exited.then(({ code }) => reject(new Error(`jupiter exited (${code}) before printing ${re}\nstdout: ${out}\nstderr: ${err}`)));
      }),
  };
}

/** Runs `jupiter ...args` to its end, with `stdin` as its input. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; stdin?: Buffer } = {}): Promise<CliResult> {
  const child = launch(args, options.env ?? {});
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    let err = '';
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin!.end(options.stdin);
  });
}

/** An ioredis client on the port once it answers PING (the command needs a moment to start). */
export async function clientWhenReady(port: number, run: Cli): Promise<Redis> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      assert.equal(await client.ping(), 'PONG');
      return client;
    } catch {
      client.disconnect();
      if (run.process.exitCode !== null) assert.fail(`jupiter exited early\nstdout: ${run.stdout()}\nstderr: ${run.stderr()}`);
      if (Date.now() > deadline) assert.fail(`jupiter did not answer PING on ${port}\nstderr: ${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Kills, by PID, every command started here that is still running. */
export function stopClis(): void {
  started.killAll();
}
