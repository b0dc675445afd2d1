// The control plane's clients of every node a proxy knows (members, and the old members of a
// running handoff): one for data (database 0, where clients' keys are: the mover and the
// migrator), one for the membership record (its own database, so the record, heartbeats and
// acknowledgements never show in a client's KEYS, SCAN or DBSIZE), and one that follows the
// announcement channel.
import { Redis } from 'ioredis';
import { nodeClientOptions, type NodeAccess } from '../security/backend.js';
import type { NodeAccessBook } from '../security/book.js';
import type { NodeEnd } from './mover.js';
import type { CodeEnds } from './scripts.js';
import { ANNOUNCE_CHANNEL, RecordStore, type RecordMember } from './record.js';

export interface ControlSettings {
  /** jupiter's credentials and TLS on each node (backend.*, or a node's own), if they need any. */
  readonly access: NodeAccessBook;
  /** The database the record lives in. */
  readonly database: number;
  readonly connectTimeoutMs: number;
  /** A control call unanswered this long fails (a frozen node), so no move or record write waits forever. */
  readonly commandTimeoutMs: number;
}

/** host:port or [v6]:port into its parts. */
export function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

interface Clients {
  readonly address: string;
  readonly data: NodeEnd;
  readonly record: NodeEnd;
  readonly announcements: Redis;
}

export class Control {
  private readonly clients = new Map<string, Clients>();
  private readonly recordEnds = new Map<string, NodeEnd>();
  /** Members known to be failing (down, or frozen), which record writes and reads skip. */
  private readonly failing = new Set<string>();
  /** The record over every known node; follows ensure() and retain(). */
  readonly store = new RecordStore(this.recordEnds, (id) => this.failing.has(id));

  constructor(
    private readonly settings: ControlSettings,
    /** Called on every announcement, from any node. */
    private readonly announced: () => void,
  ) {}

  /** jupiter's credentials and TLS on the node at address, for connections of its own (probes). */
  accessOf(address: string): NodeAccess {
    const { host, port } = parseAddress(address);
    return this.settings.access.of(host, port);
  }

  /** What the proxy has learned of a node's health: a failing one is skipped by record writes and reads. */
  setFailing(id: string, failing: boolean): void {
    if (failing) this.failing.add(id);
    else this.failing.delete(id);
  }

  /** The data client of a node by member id. */
  dataEnd(id: string): NodeEnd | undefined {
    return this.clients.get(id)?.data;
  }

  /** A node's data and membership-database clients, by member id. */
  codeEnds(id: string): CodeEnds | undefined {
    const c = this.clients.get(id);
    return c === undefined ? undefined : { data: c.data.client, record: c.record.client };
  }

  /** PINGs a node by member id; null when it answered, else why not. */
  async ping(id: string, timeoutMs: number): Promise<string | null> {
    const client = this.clients.get(id)?.data.client;
    if (client === undefined) return 'not known';
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs)));
    const answer = client.ping().then(
      () => null,
      (error: unknown) => (error as Error).message,
    );
    const result = await Promise.race([answer, late]);
    clearTimeout(timer);
    return result;
  }

  /** Makes clients for members not known yet, or known at another address. */
  ensure(members: readonly RecordMember[]): void {
    for (const m of members) {
      const known = this.clients.get(m.id);
      if (known?.address === m.address) continue;
      if (known !== undefined) this.drop(m.id);
      const { host, port } = parseAddress(m.address);
      const connect = (db: number): Redis =>
        new Redis({
          host,
          port,
          db,
          lazyConnect: false,
          connectTimeout: this.settings.connectTimeoutMs,
          commandTimeout: this.settings.commandTimeoutMs,
          // A control call on a node that is down fails soon, rather than waiting for it.
          maxRetriesPerRequest: 1,
          retryStrategy: (times) => Math.min(times * 200, 2000),
          enableReadyCheck: false,
          ...nodeClientOptions(host, this.settings.access.of(host, port)),
        });
      const end = (client: Redis): NodeEnd => ({ id: m.id, client, host, port });
      const announcements = connect(0);
      announcements.on('error', ignore);
      announcements.subscribe(ANNOUNCE_CHANNEL).catch(ignore);
      announcements.on('message', this.announced);
      const clients: Clients = { address: m.address, data: end(connect(0)), record: end(connect(this.settings.database)), announcements };
      clients.data.client.on('error', ignore);
      clients.record.client.on('error', ignore);
      this.clients.set(m.id, clients);
      this.recordEnds.set(m.id, clients.record);
    }
  }

  /** Closes the clients of every node not in `ids`. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of [...this.clients.keys()]) if (!ids.has(id)) this.drop(id);
  }

  close(): void {
    for (const id of [...this.clients.keys()]) this.drop(id);
  }

  private drop(id: string): void {
    const c = this.clients.get(id);
    if (c === undefined) return;
    this.clients.delete(id);
    this.recordEnds.delete(id);
    c.data.client.disconnect();
    c.record.client.disconnect();
    c.announcements.disconnect();
  }
}

function ignore(): void {}
