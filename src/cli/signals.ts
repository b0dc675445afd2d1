// Graceful exit on signals, shared by the commands: the first signal runs the shutdown once,
// a second one (an impatient Ctrl-C) or a shutdown that hangs exits at once.

export function exitOnSignals(
  signals: readonly NodeJS.Signals[],
  shutdown: (signal: NodeJS.Signals) => Promise<void>,
  options: { graceMs: number; say: (line: string) => void },
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.say(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => {
      options.say(`shutdown took longer than ${options.graceMs} ms: exiting`);
      process.exit(1);
    }, options.graceMs).unref();
    shutdown(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        options.say(`shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/** A one-line description of a failure to listen, or null when the error is something else. */
export function listenFailure(error: unknown, host: string, port: number): string | null {
  const e = error as NodeJS.ErrnoException;
  // A cluster worker's listen is done by the primary, and fails as a 'bind'.
  if (e?.syscall !== 'listen' && e?.syscall !== 'bind') return null;
  const reason = e.code === 'EADDRINUSE' ? 'the port is already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
  return `cannot listen on ${host}:${port}: ${reason}`;
}
