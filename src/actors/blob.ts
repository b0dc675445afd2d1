// BlobActor, one per proxy: runs the BLOB.* commands with a BlobStore whose ioredis client is
// connected to this proxy itself, so chunk keys are spread by the same ring and every MGET of
// chunks is split per node like any client's. One client's blob commands run in the order sent;
// different clients' run side by side.
import { match } from 'ts-pattern';
import type { Redis } from 'ioredis';
import { BlobStore } from '../blob/store.js';
import { BlobError } from '../blob/errors.js';
import { statLines } from '../blob/stat.js';
import { bulk, bulkArray, integer, NIL, OK } from '../protocol/encode.js';
import { blobFailed } from '../protocol/errors.js';
import type { BlobRequest } from '../routing/dispatch.js';
import { oneReply } from './batch.js';
import type { BlobMessage, Replied } from './messages.js';
import type { Actor, ActorContext, Address, Behavior } from './runtime.js';

export interface BlobActorOptions {
  /** The client to reach this proxy with, made on first use. */
  readonly connect: () => Redis;
}

export function blobBehavior(options: BlobActorOptions): Behavior<BlobMessage> {
  return { name: 'blob', create: (ctx) => new BlobActor(ctx, options) };
}

class BlobActor implements Actor<BlobMessage> {
  private store: BlobStore | null = null;
  private redis: Redis | null = null;
  /** The last command of each client still running, which its next one waits for. */
  private readonly queues = new Map<Address, Promise<void>>();

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: BlobActorOptions,
  ) {}

  receive(msg: BlobMessage): void {
    const { replyTo, slot, request } = msg;
    const store = (this.store ??= new BlobStore((this.redis = this.options.connect())));
    const previous = this.queues.get(replyTo) ?? Promise.resolve();
    const done = previous
      .then(() => run(store, request))
      .catch((error: unknown) => blobFailed(error instanceof BlobError ? error.message : `blob '${nameOf(request)}': ${(error as Error).message}`))
      .then((reply) => {
        this.ctx.tell(replyTo, { type: 'Replied', batch: oneReply(slot, reply) } satisfies Replied);
        if (this.queues.get(replyTo) === done) this.queues.delete(replyTo);
      });
    this.queues.set(replyTo, done);
  }

  stop(): void {
    this.redis?.disconnect();
  }
}

const nameOf = (request: BlobRequest): string => (request.op === 'list' ? request.prefix : request.name);

async function run(store: BlobStore, request: BlobRequest): Promise<Uint8Array> {
  return match(request)
    .with({ op: 'put' }, async (r) => {
      await store.writeAll(r.name, r.data, { ttlSeconds: r.ttlSeconds });
      return OK;
    })
    .with({ op: 'get' }, async (r) => {
      const data = await store.readAll(r.name);
      return data === null ? NIL : bulk(data);
    })
    .with({ op: 'getrange' }, async (r) => {
      const data = await store.readRange(r.name, r.start, r.end);
      return data === null ? bulk('') : bulk(data);
    })
    .with({ op: 'stat' }, async (r) => {
      const manifest = await store.stat(r.name);
      return manifest === null ? NIL : bulk(statLines(manifest, '\r\n'));
    })
    .with({ op: 'del' }, async (r) => integer((await store.delete(r.name)) ? 1 : 0))
    .with({ op: 'list' }, async (r) => bulkArray(await store.list(r.prefix)))
    .exhaustive();
}
