// `--workers N`: N proxy processes sharing the listening port through node:cluster, for machines
// with cores to spare. Each worker builds the same ring from the same member list (the ring is
// deterministic), so any worker routes a key to the same node.
import cluster, { type Worker } from 'node:cluster';

/** What a worker tells the primary about its start. */
export type WorkerReport = { readonly jupiter: 'listening' } | { readonly jupiter: 'failed'; readonly reason: string };

// A worker that dies is replaced after a back-off that doubles up to this, and starts again from
// the shortest once the workers have run this long without a death.
const MAX_RESTART_DELAY_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 100;
const STABLE_AFTER_MS = 30_000;

/**
 * In the primary, forks the workers and returns true (the caller must not start a proxy); in a
 * worker, or with one worker, returns false. SIGINT/SIGTERM are passed on, SIGHUP to one worker; the primary exits when
 * every worker has drained and exited. A worker that dies is replaced after a back-off; when every
 * worker fails before it listens (a taken port, a bad address), the primary says why once and exits 1.
 */
export function superviseWorkers(count: number, say: (line: string) => void): boolean {
  if (count <= 1 || !cluster.isPrimary) return false;
  let stopping = false;
  const listening = new Set<number>();
  let failedAtStart = 0;
  let lastFailure = '';
  let restarts = 0;
  let lastDeath = 0;

  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (report: WorkerReport) => {
      if (report?.jupiter === 'listening') {
        listening.add(worker.id);
        failedAtStart = 0;
      } else if (report?.jupiter === 'failed') {
        lastFailure = report.reason;
      }
    });
  };
  const stopAll = (signal: NodeJS.Signals): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };

  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker: Worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    const served = listening.delete(worker.id);
    if (!served && ++failedAtStart >= count && listening.size === 0) {
      stopping = true;
      say(`every worker failed to start (${lastFailure || `exit ${signal ?? code}`}); giving up`);
      stopAll('SIGTERM');
      process.exit(1);
    }
    const now = Date.now();
    if (now - lastDeath > STABLE_AFTER_MS) restarts = 0;
    lastDeath = now;
    const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** restarts++);
    if (served) say(`worker ${worker.process.pid} exited (${signal ?? code}); starting another in ${delay} ms`);
    setTimeout(() => stopping || fork(), delay).unref();
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    stopAll(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // The members live in the record every worker follows: one worker applies the reload for all.
  process.on('SIGHUP', () => {
    const worker = Object.values(cluster.workers ?? {}).find((w) => w !== undefined && listening.has(w.id));
    if (worker !== undefined) worker.process.kill('SIGHUP');
    else say('SIGHUP: no worker is serving yet; ignored');
  });
  return true;
}

/** In a worker of superviseWorkers, tells the primary how the start went; elsewhere does nothing. */
export function reportStart(report: WorkerReport): Promise<void> {
  if (!cluster.isWorker || process.send === undefined) return Promise.resolve();
  return new Promise((resolve) => process.send!(report, undefined, {}, () => resolve()));
}
