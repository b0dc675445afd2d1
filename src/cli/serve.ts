// `jupiter serve`: load the configuration, run the proxy, drain it on SIGINT/SIGTERM, and apply
// the config file's node list on SIGHUP.
import { pino } from 'pino';
import { createProxy } from '../actors/system.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config, ConfigInput } from '../config/schema.js';
import { optionsFromFlags } from '../config/flags.js';
import { exitOnSignals, listenFailure } from './signals.js';
import { reloadOnHangup } from './reload.js';
import { reportStart, superviseWorkers } from './workers.js';
import cluster from 'node:cluster';

/** The serve flags as commander parsed them; each is optional and overrides the file and environment. */
export interface ServeFlags {
  readonly config?: string;
  readonly port?: number | string;
  readonly bind?: string;
  readonly nodes?: string[];
  readonly nodeActors?: string;
  readonly logLevel?: string;
  readonly workers?: number | string;
  readonly metricsPort?: number | string;
  readonly eject?: boolean;
  readonly ejectOnDown?: string;
}

// How long in-flight requests may take to finish after a shutdown signal.
const DRAIN_MS = 5000;

const say = (line: string): void => void process.stderr.write(`jupiter: ${line}\n`);

export async function serve(flags: ServeFlags): Promise<void> {
  const config = configFrom(flags);
  if (superviseWorkers(config.workers, say)) return;
  const log = pino({ name: 'jupiter', level: config.log.level });
  let proxy;
  try {
    // The CLI is its own application: it installs the OpenTelemetry SDK (unless tracing is off).
    proxy = await createProxy(config, { logger: log, installTracing: true });
  } catch (error) {
    const reason = listenFailure(error, config.bind, config.port) ?? (error as Error).message;
    // A worker leaves the telling to the primary, which says it once for all of them.
    if (cluster.isWorker) await reportStart({ jupiter: 'failed', reason });
    else say(reason);
    process.exit(1);
  }
  await reportStart({ jupiter: 'listening' });
  reloadOnHangup(proxy, () => loadFrom(flags), log);
  exitOnSignals(
    ['SIGINT', 'SIGTERM'],
    async (signal) => {
      log.info({ signal, drainMs: DRAIN_MS }, 'shutting down');
      await proxy.stop(DRAIN_MS);
    },
    { graceMs: DRAIN_MS + 5000, say },
  );
}

function configFrom(flags: ServeFlags): Config {
  try {
    return loadFrom(flags);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`jupiter: invalid configuration\n${error.problems.map((p) => `  ${p}\n`).join('')}`);
    process.exit(2);
  }
}

/** The configuration from the file, the environment and the flags; throws ConfigError. */
function loadFrom(flags: ServeFlags): Config {
  const options = optionsFromFlags(flags);
  return loadConfig({ file: flags.config, flags: options as Partial<ConfigInput>, env: process.env });
}
