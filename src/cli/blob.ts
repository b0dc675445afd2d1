// `jupiter blob put|get|stat|rm|ls`: the blob store from the shell, through a running jupiter or
// straight to its nodes (--nodes, or the nodes and backend credentials and TLS of --config).
// Transfers of more than a few MB show a progress bar (bytes, rate, time left) when stderr is a
// terminal.
import { signInOptions, type SignInFlags } from './signin.js';
import fs from 'node:fs';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Redis } from 'ioredis';
import cliProgress from 'cli-progress';
import { BlobStore } from '../blob/store.js';
import { BlobError, BlobNotFoundError } from '../blob/errors.js';
import { statLines } from '../blob/stat.js';
import { commaList, nodeListSchema, nodeSchema, type Config } from '../config/schema.js';
import { ConfigError, loadConfig } from '../config/load.js';

export interface BlobFlags extends SignInFlags {
  readonly proxy: string;
  /** Straight to these nodes (jupiter's member list) instead of through the proxy. */
  readonly nodes?: string;
  /** jupiter's config file: its nodes (unless --nodes) and their access (backend.*, a node's own). */
  readonly config?: string;
}

/** Transfers below this size show no bar. */
const BAR_FROM_BYTES = 4 * 1024 * 1024;

const say = (line: string): void => void process.stderr.write(`jupiter: ${line}\n`);

/** Runs one blob command against the proxy (or the nodes), then disconnects; a failure exits 1 with one line. */
async function withStore(flags: BlobFlags, work: (store: BlobStore) => Promise<void>): Promise<void> {
  if (flags.nodes !== undefined || flags.config !== undefined) return withNodes(flags, work);
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
    await work(new BlobStore(redis));
  } catch (error) {
    say(error instanceof BlobError ? error.message : `${flags.proxy}: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    redis.disconnect();
  }
}

async function withNodes(flags: BlobFlags, work: (store: BlobStore) => Promise<void>): Promise<void> {
  const list = flags.nodes;
  const nodes = list === undefined ? undefined : commaList(list);
  const parsed = nodeListSchema.safeParse(nodes);
  if (list !== undefined && !parsed.success) {
    say(`--nodes ${list}: ${parsed.error!.issues[0].message}`);
    process.exitCode = 2;
    return;
  }
  let config: Config | undefined;
  try {
    config = flags.config === undefined ? undefined : loadConfig({ file: flags.config, flags: nodes === undefined ? {} : { nodes }, env: process.env });
  } catch (error) {
    say(error instanceof ConfigError ? `--config ${flags.config}: ${error.problems.join('; ')}` : (error as Error).message);
    process.exitCode = 2;
    return;
  }
  let store: ReturnType<typeof BlobStore.overNodes>;
  try {
    store = BlobStore.overNodes(config?.nodes ?? nodes!, { backend: config?.backend, hashTags: config?.hashTags });
  } catch (error) {
    say((error as Error).message);
    process.exitCode = 2;
    return;
  }
  try {
    await work(store);
  } catch (error) {
    say(error instanceof BlobError ? error.message : `${list === undefined ? `--config ${flags.config}` : `--nodes ${list}`}: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    store.close();
  }
}

/** Counts bytes through it onto a progress bar, when there is a terminal to draw on and enough to show. */
function meter(total: number | undefined): Transform {
  const bar =
    process.stderr.isTTY && total !== undefined && total >= BAR_FROM_BYTES
      ? new cliProgress.SingleBar(
          { format: '{bar} {percentage}% | {value}/{total} bytes | {rate} MB/s | {eta}s left', stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const started = Date.now();
  let done = 0;
  bar?.start(total!, 0, { rate: '0.0' });
  return new Transform({
    transform(chunk: Buffer, _encoding, next) {
      done += chunk.length;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar?.update(done, { rate: (done / seconds / 1e6).toFixed(1) });
      next(null, chunk);
    },
    flush(next) {
      bar?.stop();
      next();
    },
  });
}

export function put(flags: BlobFlags, name: string, file: string, options: { ttl?: string; contentType?: string }): Promise<void> {
  return withStore(flags, async (store) => {
    const source: Readable = file === '-' ? process.stdin : fs.createReadStream(file);
    const size = file === '-' ? undefined : fs.statSync(file).size;
    const ttlSeconds = options.ttl === undefined ? undefined : Number(options.ttl);
    if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds > 0)) throw new Error(`--ttl must be a whole number of seconds, not ${options.ttl}`);
    await pipeline(source, meter(size), store.createWriteStream(name, { ttlSeconds, contentType: options.contentType }));
  });
}

export function get(flags: BlobFlags, name: string, options: { output?: string }): Promise<void> {
  return withStore(flags, async (store) => {
    const manifest = await store.stat(name);
    if (manifest === null) throw new BlobNotFoundError(name);
    const target: Writable = options.output === undefined || options.output === '-' ? process.stdout : fs.createWriteStream(options.output);
    await pipeline(store.createReadStream(name), meter(manifest.size), target);
  });
}

export function stat(flags: BlobFlags, name: string): Promise<void> {
  return withStore(flags, async (store) => {
    const manifest = await store.stat(name);
    if (manifest === null) throw new BlobNotFoundError(name);
    process.stdout.write(statLines(manifest));
  });
}

export function rm(flags: BlobFlags, name: string): Promise<void> {
  return withStore(flags, async (store) => {
    if (!(await store.delete(name))) throw new BlobNotFoundError(name);
  });
}

export function ls(flags: BlobFlags, prefix = ''): Promise<void> {
  return withStore(flags, async (store) => {
    const names = await store.list(prefix);
    if (names.length > 0) process.stdout.write(`${names.join('\n')}\n`);
  });
}
