// Every child process a test file starts (redis-server nodes, jupiter commands) is tracked here, so
// that when the file exits, or the runner stops it for running past --test-timeout (SIGTERM), the
// children still running are killed by their PID instead of outliving the suite.
import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let cleanupInstalled = false;

export function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = (): void => {
    for (const c of running) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  process.once('SIGTERM', () => {
    killAll();
    process.exit(143);
  });
}
