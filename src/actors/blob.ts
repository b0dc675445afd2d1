// BlobActor, one per proxy: runs the BLOB.* commands with a BlobStore whose ioredis client is
// connected to this proxy itself, so chunk keys are spread by the same ring and every MGET of
// chunks is split per node like any client's. One client's blob commands run in the order sent;
// different clients' run side by side.
//
// BLOB.GET and BLOB.GETRANGE stream their reply: a window of chunks at a time, the next once the
// client's connection has written the last, so a blob of any size costs jupiter a few chunks per
// reader however slowly it reads.
import { match } from 'ts-pattern';
import type { Redis } from 'ioredis';
import { BlobStore } from '../blob/store.js';
import { BlobError } from '../blob/errors.js';
import { byteRange } from '../blob/layout.js';
import { describeBlob, inBlobSpan, startBlobSpan } from '../blob/tracing.js';
import type { Span, SpanContext } from '@opentelemetry/api';
import { statLines } from '../blob/stat.js';
import { bulk, bulkArray, integer, nil, OK, verbatim } from '../protocol/encode.js';
import { blobFailed } from '../protocol/errors.js';
import type { BlobRequest } from '../routing/dispatch.js';
import { oneReply } from './batch.js';
import type { BlobMessage, ConnectionMessage, Replied } from './messages.js';
import type { Actor, ActorContext, Address, Behavior } from './runtime.js';

export interface BlobActorOptions {
  /** The client to reach this proxy with, made on first use. */
  readonly connect: () => Redis;
  /** The proxy's `prefixes.traceparent`, with which blob work joins its command's trace. */
  readonly traceparentPrefix: string;
  /** Blob bytes written by BLOB.PUT and read by BLOB.GET/GETRANGE, counted for the metrics. */
  readonly bytes?: BlobBytes;
}

export interface BlobBytes {
  written: number;
  read: number;
}

export function blobBehavior(options: BlobActorOptions): Behavior<BlobMessage> {
  return { name: 'blob', create: (ctx) => new BlobActor(ctx, options) };
}

/** Chunks per window of a streamed reply (256 KiB of 64 KiB chunks); one more window is fetched ahead. */
const WINDOW_CHUNKS = 4;
const CRLF = Buffer.from('\r\n');

/** The client stopped (closed) while its reply was streaming. */
class ClientGone extends Error {}

class BlobActor implements Actor<BlobMessage> {
  private store: BlobStore | null = null;
  private redis: Redis | null = null;
  /** The last command of each client still running, which its next one waits for. */
  private readonly queues = new Map<Address, Promise<void>>();
  /** Streams waiting for their client to write what they sent, by `client/slot`. */
  private readonly waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(
    private readonly ctx: ActorContext,
    private readonly options: BlobActorOptions,
  ) {}

  receive(msg: BlobMessage): void {
    match(msg)
      .with({ type: 'Blob' }, (m) => this.run(m.request, m.replyTo, m.slot, m.parent, m.resp3 === true))
      .with({ type: 'More' }, (m) => {
        const key = `${m.replyTo}/${m.slot}`;
        this.waiting.get(key)?.resolve();
        this.waiting.delete(key);
      })
      .with({ type: 'Gone' }, (m) => {
        for (const [key, w] of this.waiting) {
          if (!key.startsWith(`${m.client}/`)) continue;
          w.reject(new ClientGone());
          this.waiting.delete(key);
        }
      })
      .exhaustive();
  }

  stop(): void {
    for (const w of this.waiting.values()) w.reject(new ClientGone());
    this.redis?.disconnect();
  }

  private run(request: BlobRequest, replyTo: Address, slot: number, parent: SpanContext | undefined, resp3: boolean): void {
    const store = (this.store ??= new BlobStore((this.redis = this.options.connect()), { traceparentPrefix: this.options.traceparentPrefix }));
    const previous = this.queues.get(replyTo) ?? Promise.resolve();
    const done = previous
      .then(() =>
        request.op === 'get' || request.op === 'getrange' ? this.stream(store, request, replyTo, slot, parent, resp3) : this.answer(store, request, replyTo, slot, parent, resp3),
      )
      .catch(() => undefined)
      .then(() => {
        if (this.queues.get(replyTo) === done) this.queues.delete(replyTo);
      });
    this.queues.set(replyTo, done);
  }

  private async answer(store: BlobStore, request: BlobRequest, replyTo: Address, slot: number, parent: SpanContext | undefined, resp3: boolean): Promise<void> {
    let reply: Uint8Array;
    try {
      reply = await simple(store, request, parent, resp3);
      if (request.op === 'put' && this.options.bytes !== undefined) this.options.bytes.written += request.data.length;
    } catch (error) {
      reply = failure(request, error);
    }
    this.ctx.tell(replyTo, { type: 'Replied', batch: oneReply(slot, reply) } satisfies Replied);
  }

  /**
   * The bytes of a blob (or a range of them) as one bulk reply, in windows of chunks. A failure
   * before the first window is an error reply; after it, the reply is cut short (a missing or
   * corrupt chunk mid-way, the blob replaced under it), never finished with wrong bytes.
   */
  private async stream(
    store: BlobStore,
    request: Extract<BlobRequest, { op: 'get' | 'getrange' }>,
    replyTo: Address,
    slot: number,
    parent: SpanContext | undefined,
    resp3: boolean,
  ): Promise<void> {
    const blob = startBlobSpan('blob.read', parent);
    await inBlobSpan(blob, () => this.streamUnder(store, request, replyTo, slot, blob.traceparent, blob.span, resp3)).catch(() => undefined);
  }

  private async streamUnder(
    store: BlobStore,
    request: Extract<BlobRequest, { op: 'get' | 'getrange' }>,
    replyTo: Address,
    slot: number,
    traceparent: string | undefined,
    span: Span,
    resp3: boolean,
  ): Promise<void> {
    const send = (bytes: Uint8Array, end: boolean, aborted = false): void =>
      this.ctx.tell(replyTo, { type: 'Streamed', slot, bytes, end, aborted } satisfies ConnectionMessage);
    let started = false;
    try {
      const manifest = await store.stat(request.name, traceparent);
      if (manifest === null) return send(request.op === 'get' ? nil(resp3) : bulk(''), true);
      describeBlob(span, manifest);
      const [from, to] = request.op === 'get' ? [0, manifest.size - 1] : byteRange(manifest.size, request.start, request.end);
      if (to < from) return send(bulk(''), true);
      const { chunkSize } = manifest;
      const last = Math.floor(to / chunkSize);
      const window = (first: number): Promise<Buffer[]> => {
        const fetched = store.readChunks(request.name, manifest, first, Math.min(last + 1, first + WINDOW_CHUNKS), traceparent);
        // Handled when awaited; until then a failure must not count as unhandled.
        fetched.catch(() => undefined);
        return fetched;
      };
      // The next window is fetched while the client writes this one: two windows at most per reader.
      let ahead = window(Math.floor(from / chunkSize));
      for (let first = Math.floor(from / chunkSize); first <= last; first += WINDOW_CHUNKS) {
        const end = Math.min(last + 1, first + WINDOW_CHUNKS);
        const chunks = await ahead;
        if (end <= last) ahead = window(end);
        // The first chunk of the range starts part-way, the last ends part-way.
        if (end === last + 1) chunks[chunks.length - 1] = chunks[chunks.length - 1].subarray(0, to - last * chunkSize + 1);
        if (first * chunkSize < from) chunks[0] = chunks[0].subarray(from - first * chunkSize);
        const pieces = started ? chunks : [Buffer.from(`$${to - from + 1}\r\n`), ...chunks];
        if (end === last + 1) pieces.push(CRLF);
        started = true;
        if (this.options.bytes !== undefined) for (const chunk of chunks) this.options.bytes.read += chunk.length;
        send(Buffer.concat(pieces), end === last + 1);
        if (end <= last) await this.written(replyTo, slot);
      }
    } catch (error) {
      if (error instanceof ClientGone) return;
      if (started) send(new Uint8Array(0), true, true);
      else send(failure(request, error), true);
      throw error;
    }
  }

  /** Resolves once the client has written what was sent for `slot`; rejects if it goes away. */
  private written(client: Address, slot: number): Promise<void> {
    return new Promise((resolve, reject) => this.waiting.set(`${client}/${slot}`, { resolve, reject }));
  }
}

const nameOf = (request: BlobRequest): string => (request.op === 'list' ? request.prefix : request.name);

function failure(request: BlobRequest, error: unknown): Uint8Array {
  return blobFailed(error instanceof BlobError ? error.message : `blob '${nameOf(request)}': ${(error as Error).message}`);
}

async function simple(store: BlobStore, request: BlobRequest, parent: SpanContext | undefined, resp3: boolean): Promise<Uint8Array> {
  return match(request)
    .with({ op: 'put' }, async (r) => {
      await store.writeAll(r.name, r.data, { ttlSeconds: r.ttlSeconds, parent });
      return OK;
    })
    .with({ op: 'get' }, { op: 'getrange' }, () => {
      throw new Error('streamed, not answered whole');
    })
    .with({ op: 'stat' }, async (r) => {
      const manifest = await store.stat(r.name);
      return manifest === null ? nil(resp3) : verbatim(statLines(manifest, '\r\n'), resp3);
    })
    .with({ op: 'del' }, async (r) => integer((await store.delete(r.name)) ? 1 : 0))
    .with({ op: 'list' }, async (r) => bulkArray(await store.list(r.prefix)))
    .exhaustive();
}
