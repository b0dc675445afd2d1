// What a BlobStore asks of Redis, and its two ways there: one ioredis client connected to jupiter,
// which spreads the keys by its ring and splits each MGET per node; or a client per node and the
// same ring here, with no proxy in the way. The second needs the cluster's current member list
// (as `JUPITER NODES` shows it), and is not for use while a membership change moves keys.
import { Redis } from 'ioredis';
import { memberId, nodeListSchema, type Config, type NodeInput } from '../config/schema.js';
import { nodesWithSecrets, readSecretFile } from '../config/secrets.js';
import { nodeClientOptions } from '../security/backend.js';
import { NodeAccessBook } from '../security/book.js';
import { Ring } from '../ring/ring.js';
import { ownerOfKeyString } from '../routing/hashkey.js';

/**
 * `traceparent`: the blob span the command is sent under (blob/tracing.ts); through jupiter it goes
 * with the command, so jupiter's spans of it join the blob's trace.
 */
export interface BlobBackend {
  get(key: string, traceparent?: string): Promise<string | null>;
  getdel(key: string): Promise<string | null>;
  set(key: string, value: string | Buffer, ttlSeconds: number | undefined, traceparent?: string): Promise<void>;
  /** SET ... GET: sets the value and answers the one it replaced. */
  swap(key: string, value: string, ttlSeconds: number | undefined, traceparent?: string): Promise<string | null>;
  mgetBuffer(keys: readonly string[], traceparent?: string): Promise<(Buffer | null)[]>;
  unlink(keys: readonly string[]): Promise<void>;
  /** The keys matching a glob pattern, a page at a time. */
  scan(pattern: string): AsyncIterable<readonly string[]>;
}

const setArgs = (ttlSeconds: number | undefined): (string | number)[] => (ttlSeconds === undefined ? [] : ['EX', ttlSeconds]);

async function* scanAll(redis: Redis, pattern: string): AsyncIterable<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    yield keys;
  } while (cursor !== '0');
}

/** Through jupiter: one ioredis client, the proxy does the spreading. */
export class ProxyBackend implements BlobBackend {
  constructor(
    private readonly redis: Redis,
    /** jupiter's `prefixes.traceparent` ('' sends no trace context). */
    private readonly traceparentPrefix = 'traceparent=',
  ) {}

  /** The trailing routing option carrying the trace context, if any. */
  private traced(traceparent: string | undefined): string[] {
    return traceparent === undefined || this.traceparentPrefix === '' ? [] : [`${this.traceparentPrefix}${traceparent}`];
  }

  async get(key: string, traceparent?: string): Promise<string | null> {
    return (await this.redis.call('GET', key, ...this.traced(traceparent))) as string | null;
  }

  getdel(key: string): Promise<string | null> {
    return this.redis.getdel(key);
  }

  async set(key: string, value: string | Buffer, ttlSeconds: number | undefined, traceparent?: string): Promise<void> {
    await this.redis.call('SET', key, value, ...setArgs(ttlSeconds), ...this.traced(traceparent));
  }

  async swap(key: string, value: string, ttlSeconds: number | undefined, traceparent?: string): Promise<string | null> {
    return (await this.redis.call('SET', key, value, ...setArgs(ttlSeconds), 'GET', ...this.traced(traceparent))) as string | null;
  }

  mgetBuffer(keys: readonly string[], traceparent?: string): Promise<(Buffer | null)[]> {
    return this.redis.mgetBuffer(...keys, ...this.traced(traceparent));
  }

  async unlink(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.redis.unlink(...keys);
  }

  scan(pattern: string): AsyncIterable<string[]> {
    return scanAll(this.redis, pattern);
  }
}

/** jupiter's backend.* access settings, as its config holds them. */
export type BackendAccessInput = Partial<Pick<Config['backend'], 'username' | 'password' | 'passwordFile' | 'tls'>>;

/** Straight to the nodes: jupiter's ring over the given member list, a client per node. */
export class NodesBackend implements BlobBackend {
  private readonly ring: Ring;
  /** The client of ring.members[i]. */
  private readonly clients: Redis[];

  /** `nodes` as jupiter's config lists them (`host:port[:weight]`, `name=host:port`, objects). */
  constructor(nodes: readonly NodeInput[], private readonly hashTags = true, backend: BackendAccessInput = {}) {
    const parsed = nodesWithSecrets(nodeListSchema.parse(nodes));
    const password = backend.passwordFile === undefined ? backend.password : readSecretFile(backend.passwordFile);
    const access = NodeAccessBook.forBackend({ ...backend, password }, parsed);
    this.ring = Ring.build(parsed.map((n) => ({ id: memberId(n), weight: n.weight })), 1);
    this.clients = this.ring.members.map((m) => {
      const node = parsed.find((n) => memberId(n) === m.id)!;
      return new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 1, ...nodeClientOptions(node.host, access.of(node.host, node.port)) });
    });
  }

  private clientOf(key: string): Redis {
    return this.clients[ownerOfKeyString(this.ring, key, this.hashTags)];
  }

  get(key: string): Promise<string | null> {
    return this.clientOf(key).get(key);
  }

  getdel(key: string): Promise<string | null> {
    return this.clientOf(key).getdel(key);
  }

  async set(key: string, value: string | Buffer, ttlSeconds: number | undefined): Promise<void> {
    await this.clientOf(key).call('SET', key, value, ...setArgs(ttlSeconds));
  }

  async swap(key: string, value: string, ttlSeconds: number | undefined): Promise<string | null> {
    return (await this.clientOf(key).call('SET', key, value, ...setArgs(ttlSeconds), 'GET')) as string | null;
  }

  /** One MGET per node, all at once, answered in the order asked. */
  async mgetBuffer(keys: readonly string[]): Promise<(Buffer | null)[]> {
    const out = new Array<Buffer | null>(keys.length);
    await Promise.all(
      [...this.byNode(keys)].map(async ([client, positions]) => {
        const values = await client.mgetBuffer(...positions.map((i) => keys[i]));
        positions.forEach((at, k) => (out[at] = values[k]));
      }),
    );
    return out;
  }

  async unlink(keys: readonly string[]): Promise<void> {
    await Promise.all([...this.byNode(keys)].map(([client, positions]) => client.unlink(...positions.map((i) => keys[i]))));
  }

  async *scan(pattern: string): AsyncIterable<string[]> {
    for (const client of this.clients) yield* scanAll(client, pattern);
  }

  close(): void {
    for (const client of this.clients) client.disconnect();
  }

  /** The positions of `keys` each node owns. */
  private byNode(keys: readonly string[]): Map<Redis, number[]> {
    const groups = new Map<Redis, number[]>();
    keys.forEach((key, i) => {
      const client = this.clientOf(key);
      const group = groups.get(client);
      if (group === undefined) groups.set(client, [i]);
      else group.push(i);
    });
    return groups;
  }
}
