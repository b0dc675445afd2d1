// Finding redis-server for the demo, and installing it with apt-get when we are allowed to.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** The full path of an executable found on PATH, or null. */
export function findExecutable(name: string, searchPath = process.env.PATH ?? ''): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

function run(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.once('error', () => resolve(127));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * The path of redis-server. When it is missing, root with apt-get installs it (showing apt-get's
 * output); anyone else is told the one command to run. Returns null when there is none.
 */
export async function ensureRedisServer(say: (line: string) => void): Promise<string | null> {
  const found = findExecutable('redis-server');
  if (found) return found;
  const aptGet = findExecutable('apt-get');
  if (process.getuid?.() !== 0 || !aptGet) {
    say('redis-server is missing; install it with: apt-get install -y redis-server');
    return null;
  }
  say('redis-server is missing; installing it with: apt-get update && apt-get install -y redis-server');
  const code = (await run(aptGet, ['update'])) || (await run(aptGet, ['install', '-y', 'redis-server']));
  if (code !== 0) {
    say(`installing redis-server failed (apt-get exited with ${code}); install it with: apt-get install -y redis-server`);
    return null;
  }
  const installed = findExecutable('redis-server');
  if (!installed) say('apt-get installed redis-server, but it is not on PATH');
  return installed;
}
