// Every child process a test file starts (redis-server nodes, jupiter commands) is kept in a group
// here, so that a helper can kill its own (stopClis), and when the file exits, or the runner stops it
// for running past --test-timeout (SIGTERM), the children still running are killed by their PID
// instead of outliving the suite.
import type { ChildProcess } from 'node:child_process';

const groups = new Set<Children>();

/** Children started by one helper, killed by PID together. */
export class Children {
  readonly #running = new Set<ChildProcess>();

  add(child: ChildProcess): void {
    installCleanup();
    groups.add(this);
    this.#running.add(child);
    child.once('exit', () => this.#running.delete(child));
  }

  /** Kills, by PID, every child of this group that is still running. */
  killAll(): void {
    for (const child of this.#running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = (): void => {
    for (const group of groups) group.killAll();
  };
  process.once('exit', killAll);
  process.once('SIGTERM', () => {
    killAll();
    process.exit(143);
  });
}
