// BlobStore: large values written and read as chunks spread over the whole cluster, over ioredis
// connected to jupiter (which spreads the chunk keys by the ring and splits each MGET per node), or
// straight to the nodes with jupiter's ring (backend.ts).
//
// A write puts every chunk under a new version, then switches the manifest to it with one
// SET ... GET, which also hands back the manifest it replaced, whose chunks that writer then
// deletes. So a reader never sees a half-written blob, and of two writers racing, each deletes
// exactly the version it replaced. A reader whose version is replaced under it gets a missing
// chunk: readAll() starts again on the new version; a stream, already partly delivered, fails
// with BlobIncompleteError. Bytes that do not match their checksum are never returned.
import { Readable, Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { crc32c } from '@node-rs/crc32';
import type { NodeInput } from '../config/schema.js';
import { NodesBackend, ProxyBackend, type BackendAccessInput, type BlobBackend } from './backend.js';
import { describeBlob, inBlobSpan, startBlobSpan, type BlobSpan } from './tracing.js';
import { SpanStatusCode, type SpanContext } from '@opentelemetry/api';
import { BlobChecksumError, BlobIncompleteError, BlobNotFoundError } from './errors.js';
import { BlobLayout, byteRange, chunkCount, DEFAULT_CHUNK_SIZE, newVersion, type Manifest } from './layout.js';

export interface BlobWriteOptions extends BlobTraceOptions {
  /** Bytes per chunk (default 64 KiB). */
  readonly chunkSize?: number;
  /** Expiry of the manifest and every chunk alike. */
  readonly ttlSeconds?: number;
  readonly contentType?: string;
}

/** Where a read's or write's span hangs (blob/tracing.ts): under this span, else under the active context. */
export interface BlobTraceOptions {
  readonly parent?: SpanContext;
}

export interface BlobStoreOptions {
  /** jupiter's `prefixes.traceparent`, with which the store sends its spans' context ('' sends none). */
  readonly traceparentPrefix?: string;
  /** Key prefix of manifests (`<prefix>:<name>`) and chunks (`<prefix>.chunk:...`); default `blob`. */
  readonly prefix?: string;
  /** Chunks in flight at once, per read or write (default 32: two MGETs of 16). */
  readonly parallel?: number;
}

/** Chunks per MGET. */
const BATCH = 16;

/** readAll() starts again on the new version this many times when writers keep replacing the blob. */
const READ_ATTEMPTS = 3;

export class BlobStore {
  private readonly layout: BlobLayout;
  private readonly parallel: number;
  private readonly redis: BlobBackend;

  /** Over an ioredis client connected to jupiter (the caller keeps and closes it), or any BlobBackend. */
  constructor(redis: Redis | BlobBackend, options: BlobStoreOptions = {}) {
    // An ioredis client (of any copy of ioredis) has pipeline(); a BlobBackend does not.
    this.redis = 'pipeline' in redis ? new ProxyBackend(redis, options.traceparentPrefix) : redis;
    this.layout = new BlobLayout(options.prefix);
    this.parallel = options.parallel ?? 32;
  }

  /**
   * A store straight to the nodes, with no proxy in the way: `nodes` is jupiter's member list as its
   * config or `JUPITER NODES` gives it, so chunks land where jupiter would put them. Not for use
   * while a membership change moves keys. `backend`: jupiter's backend.username, password and tls
   * for every node (a node object may carry its own, as in jupiter's config). close() disconnects
   * from the nodes.
   */
  static overNodes(nodes: readonly NodeInput[], options: BlobStoreOptions & { readonly hashTags?: boolean; readonly backend?: BackendAccessInput } = {}): BlobStore & { close(): void } {
    const backend = new NodesBackend(nodes, options.hashTags, options.backend);
    return Object.assign(new BlobStore(backend, options), { close: () => backend.close() });
  }

  /** Writes the whole blob; resolves with its manifest once readers see it. */
  async writeAll(name: string, data: Buffer, options: BlobWriteOptions = {}): Promise<Manifest> {
    const blob = startBlobSpan('blob.write', options.parent);
    return inBlobSpan(blob, async () => {
      const writer = new ChunkWriter(this.redis, this.layout, name, options, this.parallel, blob);
      const size = writer.chunkSize;
      for (let at = 0; at < data.length; at += size) await writer.add(data.subarray(at, at + size));
      return writer.finish();
    });
  }

  /** The whole blob, or null when there is none of that name. */
  async readAll(name: string, options: BlobTraceOptions = {}): Promise<Buffer | null> {
    const blob = startBlobSpan('blob.read', options.parent);
    return inBlobSpan(blob, () => this.readWhole(name, blob));
  }

  private async readWhole(name: string, blob: BlobSpan): Promise<Buffer | null> {
    for (let attempt = 1; ; attempt++) {
      const manifest = await this.stat(name, blob.traceparent);
      if (manifest === null) return null;
      describeBlob(blob.span, manifest);
      try {
        const chunks = await this.readChunks(name, manifest, 0, manifest.chunks, blob.traceparent);
        const data = Buffer.concat(chunks, manifest.size);
        if (crc32c(data) !== manifest.checksum) throw new BlobChecksumError(name, -1);
        return data;
      } catch (error) {
        if (!(error instanceof BlobIncompleteError) || attempt === READ_ATTEMPTS) throw error;
        // Replaced while being read: start again on the version that won.
        if ((await this.stat(name))?.version === manifest.version) throw error;
      }
    }
  }

  /**
   * Bytes start..end of the blob (both included; negative counts from the end), as Redis's
   * GETRANGE takes them, reading only the chunks they lie in; null when there is no such blob.
   */
  async readRange(name: string, start: number, end: number, options: BlobTraceOptions = {}): Promise<Buffer | null> {
    const blob = startBlobSpan('blob.read', options.parent);
    return inBlobSpan(blob, async () => {
      const manifest = await this.stat(name, blob.traceparent);
      if (manifest === null) return null;
      describeBlob(blob.span, manifest);
      const [from, to] = byteRange(manifest.size, start, end);
      if (from > to) return Buffer.alloc(0);
      const { chunkSize } = manifest;
      const first = Math.floor(from / chunkSize);
      const chunks = await this.readChunks(name, manifest, first, Math.floor(to / chunkSize) + 1, blob.traceparent);
      const joined = Buffer.concat(chunks);
      return joined.subarray(from - first * chunkSize, to - first * chunkSize + 1);
    });
  }

  /** A Writable for the blob's bytes: chunks go out as they fill, the manifest once it ends. */
  createWriteStream(name: string, options: BlobWriteOptions = {}): Writable {
    const blob = startBlobSpan('blob.write', options.parent);
    const writer = new ChunkWriter(this.redis, this.layout, name, options, this.parallel, blob);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // Cuts what has come in into whole chunks; the last, short one waits for final().
    const drain = async (all: boolean): Promise<void> => {
      while (pendingBytes >= writer.chunkSize || (all && pendingBytes > 0)) {
        const joined = Buffer.concat(pending, pendingBytes);
        const take = Math.min(writer.chunkSize, joined.length);
        await writer.add(joined.subarray(0, take));
        const rest = joined.subarray(take);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
      }
    };
    return new Writable({
      write(chunk: Buffer, _encoding, done) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        drain(false).then(() => done(), done);
      },
      final(done) {
        inBlobSpan(blob, () => drain(true).then(() => writer.finish())).then(() => done(), done);
      },
      destroy(error, done) {
        if (error !== null) blob.span.end();
        done(error);
      },
    });
  }

  /** A Readable of the blob's bytes, fetching a few chunks ahead of what is consumed. */
  createReadStream(name: string, options: BlobTraceOptions = {}): Readable {
    let manifest: Manifest | null = null;
    let next = 0;
    let reading = false;
    const store = this;
    const blob = startBlobSpan('blob.read', options.parent);
    return new Readable({
      read() {
        if (reading) return;
        reading = true;
        (async () => {
          if (manifest === null) {
            manifest = await store.stat(name, blob.traceparent);
            if (manifest === null) throw new BlobNotFoundError(name);
            describeBlob(blob.span, manifest);
          }
          for (;;) {
            if (next >= manifest.chunks) {
              blob.span.end();
              this.push(null);
              return;
            }
            const to = Math.min(manifest.chunks, next + store.parallel);
            const chunks = await store.readChunks(name, manifest, next, to, blob.traceparent);
            next = to;
            let more = true;
            for (const chunk of chunks) more = this.push(chunk);
            // The consumer is full: read() is called again when it wants more.
            if (!more) return;
          }
        })().then(
          () => (reading = false),
          (error: Error) => {
            blob.span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
            blob.span.end();
            this.destroy(error);
          },
        );
      },
    });
  }

  /** The blob's manifest, or null. `traceparent`: the blob span it is read under. */
  async stat(name: string, traceparent?: string): Promise<Manifest | null> {
    const text = await this.redis.get(this.layout.manifestKey(name), traceparent);
    return text === null ? null : (JSON.parse(text) as Manifest);
  }

  /** Deletes the blob; false when there was none. */
  async delete(name: string): Promise<boolean> {
    const text = await this.redis.getdel(this.layout.manifestKey(name));
    if (text === null) return false;
    await deleteChunks(this.redis, this.layout, name, JSON.parse(text) as Manifest);
    return true;
  }

  /** The names of the blobs whose names start with `prefix`, sorted. */
  async list(prefix = ''): Promise<string[]> {
    const names: string[] = [];
    for await (const keys of this.redis.scan(this.layout.manifestPattern(prefix))) for (const key of keys) names.push(this.layout.nameOf(key));
    return [...new Set(names)].sort();
  }

  /**
   * Chunks [from, to) of the manifest's version, each checked against its checksum: MGETs of
   * BATCH chunks, up to `parallel` chunks asked at once.
   */
  async readChunks(name: string, manifest: Manifest, from: number, to: number, traceparent?: string): Promise<Buffer[]> {
    const out = new Array<Buffer>(to - from);
    const batch = Math.min(BATCH, this.parallel);
    const inFlight = Math.max(1, Math.floor(this.parallel / batch));
    let next = from;
    const worker = async (): Promise<void> => {
      while (next < to) {
        const at = next;
        const end = Math.min(to, at + batch);
        next = end;
        const values = await this.redis.mgetBuffer(this.layout.chunkKeys(name, manifest, at, end), traceparent);
        values.forEach((value, k) => {
          const index = at + k;
          if (value === null) throw new BlobIncompleteError(name, index, manifest.chunks);
          if (crc32c(value) !== manifest.checksums[index]) throw new BlobChecksumError(name, index);
          out[index - from] = value;
        });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return out;
  }
}

/** One write of one blob: chunks in flight (bounded), their checksums, then the manifest switch. */
class ChunkWriter {
  readonly chunkSize: number;
  private readonly version = newVersion();
  private readonly checksums: number[] = [];
  private checksum = 0;
  private size = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private failed: unknown = null;

  constructor(
    private readonly redis: BlobBackend,
    private readonly layout: BlobLayout,
    private readonly name: string,
    private readonly options: BlobWriteOptions,
    private readonly parallel: number,
    private readonly blob: BlobSpan,
  ) {
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, not ${this.chunkSize}`);
  }

  /** Sends the next chunk; resolves once fewer than `parallel` chunks are in flight. */
  async add(chunk: Buffer): Promise<void> {
    if (this.failed !== null) throw this.failed;
    const index = this.checksums.length;
    this.checksums.push(crc32c(chunk));
    this.checksum = crc32c(chunk, this.checksum);
    this.size += chunk.length;
    const key = this.layout.chunkKey(this.name, this.version, index);
    const ttl = this.options.ttlSeconds;
    const sent = this.redis.set(key, chunk, ttl, this.blob.traceparent).catch((error: unknown) => {
      this.failed ??= error;
    });
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
    if (this.inFlight.size >= this.parallel) await Promise.race(this.inFlight);
    if (this.failed !== null) throw this.failed;
  }

  /** Waits for every chunk, switches the manifest to this version, deletes the version it replaced. */
  async finish(): Promise<Manifest> {
    await Promise.all(this.inFlight);
    if (this.failed !== null) throw this.failed;
    const manifest: Manifest = {
      version: this.version,
      size: this.size,
      chunkSize: this.chunkSize,
      chunks: chunkCount(this.size, this.chunkSize),
      checksums: this.checksums,
      checksum: this.checksum,
      createdAt: Date.now(),
      ...(this.options.contentType === undefined ? {} : { contentType: this.options.contentType }),
    };
    const key = this.layout.manifestKey(this.name);
    const text = JSON.stringify(manifest);
    describeBlob(this.blob.span, manifest);
    const replaced = await this.redis.swap(key, text, this.options.ttlSeconds, this.blob.traceparent);
    if (replaced !== null) await deleteChunks(this.redis, this.layout, this.name, JSON.parse(replaced) as Manifest);
    return manifest;
  }
}

async function deleteChunks(redis: BlobBackend, layout: BlobLayout, name: string, manifest: Manifest): Promise<void> {
  const keys = layout.chunkKeys(name, manifest);
  // In slices, so one DEL never carries thousands of keys.
  for (let at = 0; at < keys.length; at += 1000) await redis.unlink(keys.slice(at, at + 1000));
}
