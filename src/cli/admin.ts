// `jupiter admin nodes|status|add|remove|weight|replace`: the JUPITER admin commands from the shell,
// against a running jupiter. A change waits until its handoff ends (a progress bar of keys moved
// when stderr is a terminal), so a script can run one change after another.
import { signInOptions, type SignInFlags } from './signin.js';
import { Redis } from 'ioredis';
import cliProgress from 'cli-progress';
import { nodeSchema } from '../config/schema.js';

export interface AdminFlags extends SignInFlags {
  readonly proxy: string;
  readonly password?: string;
}

export interface ChangeFlags {
  /** false with --no-wait: return once the change is accepted. */
  readonly wait: boolean;
}

const say = (line: string): void => void process.stderr.write(`jupiter: ${line}\n`);
const POLL_MS = 200;

/** Runs against the proxy, then closes the connection; a failure exits 1 with one line. */
async function withProxy(flags: AdminFlags, work: (redis: Redis) => Promise<void>): Promise<void> {
  const address = nodeSchema.safeParse(flags.proxy);
  if (!address.success) {
    say(`--proxy ${flags.proxy}: expected host:port`);
    process.exitCode = 2;
    return;
  }
  const { host, port } = address.data;
  const redis = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, protocol: 2, enableReadyCheck: false, ...signInOptions(flags) });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const password = flags.password ?? process.env.JUPITER_ADMIN_PASSWORD;
    if (password !== undefined && password !== '') await redis.call('JUPITER', 'AUTH', password);
    await work(redis);
  } catch (error) {
    say(`${flags.proxy}: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    redis.disconnect();
  }
}

/** JUPITER STATUS as fields. */
async function status(redis: Redis): Promise<Record<string, string>> {
  const text = (await redis.call('JUPITER', 'STATUS')) as string;
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

export const nodes = (flags: AdminFlags): Promise<void> =>
  withProxy(flags, async (redis) => void process.stdout.write((await redis.call('JUPITER', 'NODES')) as string));

export const showStatus = (flags: AdminFlags): Promise<void> =>
  withProxy(flags, async (redis) => void process.stdout.write(((await redis.call('JUPITER', 'STATUS')) as string).replaceAll('\r\n', '\n')));

/** Sends one change (`ADDNODE ...`), then follows its handoff to the end unless told not to wait. */
export const change = (flags: AdminFlags, options: ChangeFlags, args: string[]): Promise<void> =>
  withProxy(flags, async (redis) => {
    const before = Number((await status(redis)).epoch);
    const started = Date.now();
    await redis.call('JUPITER', ...args);
    if (!options.wait) {
      process.stdout.write('OK: accepted; the handoff runs on (jupiter admin status follows it)\n');
      return;
    }
    const end = await follow(redis, before);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (end.abandoned === '1') {
      say(`${args.join(' ')} was abandoned (epoch ${end.epoch}): not every proxy acknowledged it in time; the members are unchanged`);
      process.exitCode = 1;
      return;
    }
    const skipped = end.skipped ? `; skipped unreachable ${end.skipped}` : '';
    process.stdout.write(`OK: stable at epoch ${end.epoch}, ${end.keys_moved} keys moved in ${seconds} s${skipped}\n`);
  });

/** Polls STATUS until the proxy is stable past `epoch`, drawing keys moved on a bar when stderr is a terminal. */
async function follow(redis: Redis, epoch: number): Promise<Record<string, string>> {
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar({ format: '{bar} {value}/{total} keys | {state} | {duration}s', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  bar?.start(1, 0, { state: 'prepare' });
  try {
    for (;;) {
      const s = await status(redis);
      const total = Math.max(1, Number(s.keys_total_estimate) || 0, Number(s.keys_moved) || 0);
      bar?.setTotal(total);
      bar?.update(Number(s.keys_moved) || 0, { state: s.state });
      if (s.state === 'stable' && Number(s.epoch) > epoch) {
        bar?.update(total);
        return s;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    bar?.stop();
  }
}
