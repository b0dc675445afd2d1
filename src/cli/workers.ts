// `--workers N`: N proxy processes sharing the listening port through node:cluster, for machines
// with cores to spare. Each worker builds the same ring from the same member list (the ring is
// deterministic), so any worker routes a key to the same node.
import cluster from 'node:cluster';

/**
 * In the primary, forks the workers and returns true (the caller must not start a proxy); in a
 * worker, or with one worker, returns false. SIGINT/SIGTERM are passed on; the primary exits when
 * every worker has drained and exited, and replaces a worker that dies while serving.
 */
export function superviseWorkers(count: number, say: (line: string) => void): boolean {
  if (count <= 1 || !cluster.isPrimary) return false;
  let stopping = false;
  const fork = (): void => void cluster.fork();
  for (let i = 0; i < count; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    say(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return true;
}
