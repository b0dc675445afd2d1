// The proxy as a whole: configuration, the actor runtime, the listener, and graceful shutdown.
// createProxy() is the embedding entry point; the CLI is a thin wrapper around it.
import net from 'node:net';
import tls from 'node:tls';
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { validateConfig } from '../config/load.js';
import { memberId, nodeListSchema, type Config, type ConfigInput, type NodeInput } from '../config/schema.js';
import { Router } from '../routing/router.js';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Control, parseAddress } from '../handoff/control.js';
import { whenReady } from '../embed/ready.js';
import { bootstrapRecord } from '../handoff/bootstrap.js';
import { PlacementIndex } from '../handoff/placement-index.js';
import { Handoff } from '../handoff/handoff.js';
import type { MembershipChange } from '../handoff/change.js';
import type { RecordMember } from '../handoff/record.js';
import { answerDeadRoute } from './dead-letters.js';
import { ActorRuntime, type Address, type Runtime } from './runtime.js';
import { Extensions } from './extensions.js';
import { Access, INTERNAL_USER } from '../security/access.js';
import { listenerTls } from '../security/tls.js';
import { NodeAccessBook } from '../security/book.js';
import { nodesWithSecrets, withoutSecrets } from '../config/secrets.js';
import { lookupCommand } from '../protocol/commands.js';
import { connectionBehavior, type ConnectionLimits } from './connection.js';
import { membershipBehavior } from './membership.js';
import { blobBehavior, type BlobBytes } from './blob.js';
import { Redis } from 'ioredis';
import type { ChangeOutcome, MembershipStatus, NodeStats, RingInfo, RingSnapshot } from './messages.js';
import { createRegistry, type MetricsSource } from '../metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { ProxyEventHub, type ProxyEventName, type ProxyEvents } from './events.js';
import { nodeBehavior, type NodeOptions } from './node.js';
import { pubsubBehavior } from './pubsub.js';
import { WorkerHost } from './placement.js';
import type { ClientState, ProxyFacts } from '../routing/dispatch.js';
import { Tracing } from '../telemetry/tracing.js';
import type { InstalledSdk } from '../telemetry/sdk.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export type { RingInfo, RingMember } from './messages.js';

export interface Proxy {
  /** The port the proxy listens on (useful with port 0). */
  readonly port: number;
  /** The port of GET /metrics and /health, when metrics.port is set. */
  readonly metricsPort?: number;
  readonly config: Config;
  status(): Promise<MembershipStatus & { clients: number }>;
  /** The ring: its epoch, and each member's address, weight, share of the keys and state. */
  ring(): Promise<RingInfo>;
  /**
   * Membership changes: each resolves once the change is accepted (its handoff runs on; follow it
   * with on('handoff-progress') and status().state), or rejects with a MembershipChangeError
   * saying why it was refused. `node` is a member's name or host:port.
   */
  addNode(address: string, weight?: number, name?: string): Promise<void>;
  removeNode(node: string): Promise<void>;
  setWeight(node: string, weight: number): Promise<void>;
  replaceNode(name: string, address: string): Promise<void>;
  /**
   * The whole member list at once, as in the config file (`host:port[:weight]`, `name=host:port`
   * or objects): one change that adds, removes, reweighs and readdresses what differs (SIGHUP).
   */
  setNodes(nodes: readonly NodeInput[]): Promise<void>;
  /** Calls `listener` on each such event; returns the function that stops it. */
  on<E extends ProxyEventName>(event: E, listener: (data: ProxyEvents[E]) => void): () => void;
  /** Resolves true once every member is up (nodes connect after start), false after timeoutMs. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** The proxy's actor runtime: spawn actors of one's own on it, for tap() and addAdminCommand(). */
  readonly runtime: Runtime;
  /** The actor is told a Tapped message per client turn: each request's command, first key and nodes. Returns the undo. */
  tap(actor: Address): () => void;
  /**
   * `JUPITER <NAME> [args]` is told to the actor as an AdminCommand, behind the same admin policy
   * as the built-in subcommands; it answers by telling replyTo an AdminAnswer. Returns the undo.
   */
  addAdminCommand(name: string, actor: Address): () => void;
  /** Stops accepting, lets in-flight requests finish (up to drainMs), then closes everything. */
  stop(drainMs?: number): Promise<void>;
}

export class MembershipChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MembershipChangeError';
  }
}

export interface ProxyOptions {
  readonly logger?: Logger;
  /**
   * Install jupiter's own OpenTelemetry SDK (OTLP/HTTP exporter, configured by `tracing.endpoint`
   * and the OTEL_* variables) unless tracing is off or another SDK is already registered; stop()
   * flushes and removes it. Without it, spans go to whatever SDK the application registered.
   */
  readonly installTracing?: boolean;
}

/** A configured node as the record lists it. */
function toMember(n: Config['nodes'][number]): RecordMember {
  return { id: memberId(n), address: `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`, weight: n.weight };
}

/** Loads the SDK only when asked, so that embedding jupiter never pulls it in otherwise. */
async function loadSdk(endpoint: string | undefined, log: Logger): Promise<InstalledSdk | null> {
  const sdk = await import('../telemetry/sdk.js');
  // One line when the collector stops taking spans and one when it takes them again; none per export.
  return sdk.installSdk(sdk.sdkSettings(endpoint), process.env, (up, reason) =>
    up ? log.info('tracing: the collector takes spans again') : log.warn({ reason }, 'tracing: the collector does not take spans; dropping them, retrying after a cool-down'),
  );
}

export async function createProxy(input: ConfigInput | Config, options: ProxyOptions = {}): Promise<Proxy> {
  const config = validateConfig(input);
  // Certificate files are read now: a missing one stops the start with its name.
  const nodeAccess = NodeAccessBook.forBackend(config.backend, config.nodes);
  const frontTls = listenerTls(config.tls);
  const log = options.logger ?? pino({ level: config.log.level });
  const runtime = new ActorRuntime({
    onCrash: (behavior, error) => log.error({ behavior, err: error }, 'actor crashed; restarting'),
    onDeadLetter: answerDeadRoute,
  });
  const tracing = Tracing.create(config.tracing, Object.values(config.prefixes));
  const sdk = tracing !== null && options.installTracing ? await loadSdk(config.tracing.endpoint, log) : null;
  if (sdk !== null) {
    const endpoint = sdk.settings.endpoint ?? 'from OTEL_EXPORTER_OTLP_* (default http://localhost:4318/v1/traces)';
    log.info({ sampleRatio: tracing!.ratio, recordKeys: tracing!.recordKeys, endpoint }, 'tracing on');
  }
  const host =
    config.nodeActors === 'worker' ? new WorkerHost(runtime, (err) => log.error({ err }, 'node actor worker failed'), sdk?.settings) : null;

  const events = new ProxyEventHub((err) => log.error({ err }, 'a proxy event listener failed'));
  // The PubSubActor's address first: every NodeActor sends its subscriber connection's pushes there.
  const pubsub = runtime.allocate();
  const nodeOptions = (member: RecordMember, health: Address): NodeOptions => {
    // `host` is the worker host in this scope.
    const at = parseAddress(member.address);
    const { credentials, tls } = nodeAccess.of(at.host, at.port);
    return {
      id: member.id,
      host: at.host,
      port: at.port,
      health,
      pubsub,
      ...config.backend,
      username: credentials?.username,
      password: credentials?.password,
      maxLeases: config.limits.maxLeasesPerNode,
      failureLimit: config.eject.enabled ? config.eject.failureLimit : undefined,
      tls,
    };
  };
  const configured: RecordMember[] = config.nodes.map(toMember);
  const membershipLog = (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown>): void => log[level](fields, event);
  let announced: () => void = () => {};
  const control = new Control(
    {
      database: config.membership.database,
      connectTimeoutMs: config.backend.connectTimeoutMs,
      // A MIGRATE may use its own timeout twice over (connecting, then the transfer).
      commandTimeoutMs: 2 * config.handoff.migrateTimeoutMs + config.backend.connectTimeoutMs,
      access: nodeAccess,
    },
    () => announced(),
  );
  const { record, recorded } = await bootstrapRecord(control, configured, config.backend.connectTimeoutMs * 2 + 500, membershipLog);
  const handoff = new Handoff((id) => control.dataEnd(id), { ...config.handoff, timeoutMs: config.handoff.migrateTimeoutMs, hashTags: config.hashTags, credentialsAt: (h, p) => nodeAccess.of(h, p).credentials }, (event, fields) => log.warn(fields, event), new PlacementIndex(config.membership.database));
  let snapshot: RingSnapshot | undefined;
  const membership = runtime.spawn(
    membershipBehavior({
      initial: record,
      recorded,
      settings: {
        proxyId: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
        heartbeatMs: config.membership.heartbeatMs,
        ackTimeoutMs: config.membership.ackTimeoutMs,
        fenceTimeoutMs: config.backend.requestTimeoutMs + 1000,
        eject: config.eject,
      },
      control,
      handoff,
      spawnNode: (member, health) =>
        host ? host.spawn('node', nodeOptions(member, health)) : runtime.spawn(nodeBehavior(nodeOptions(member, health))),
      stopNode: (actor) => (host ? host.stop(actor) : runtime.stop(actor)),
      published: (s) => (snapshot = s),
      notify: (e) => events.emit(e),
      log: membershipLog,
    }),
  );
  // An announcement from any node: read the record now rather than at the next tick.
  announced = () => runtime.tell(membership, { type: 'Tick' });
  const change = async (c: MembershipChange): Promise<void> => {
    const outcome = await runtime.ask<ChangeOutcome>(membership, (replyTo) => ({ type: 'Change', change: c, replyTo }), 30000);
    if (outcome.refused !== null) throw new MembershipChangeError(outcome.refused);
  };
  const realNodes = (): readonly Address[] => (snapshot === undefined ? [] : snapshot.nodes.slice(0, snapshot.ring.members.length));

  // BLOB.* commands run over a client of this proxy itself, connected on first use (after listen).
  const selfHost = config.bind === '0.0.0.0' || config.bind === '::' ? '127.0.0.1' : config.bind;
  const blobBytes: BlobBytes = { written: 0, read: 0 };
  runtime.spawn(pubsubBehavior({ membership, hashTags: config.hashTags, confirmTimeoutMs: config.backend.requestTimeoutMs }), pubsub);
  const blobs = runtime.spawn(
    blobBehavior({
      connect: () =>
        new Redis({
          host: selfHost,
          port: listeningPort,
          maxRetriesPerRequest: 1,
          enableReadyCheck: false,
          ...(access.internalPassword === undefined ? {} : { username: INTERNAL_USER, password: access.internalPassword }),
        }),
      traceparentPrefix: config.prefixes.traceparent,
      bytes: blobBytes,
    }),
  );
  const router = new Router({
    prefixes: config.prefixes,
    placementDatabase: config.membership.database,
    hints: { database: config.membership.database, limit: config.eject.hintLimit },
  });
  const limits: ConnectionLimits = {
    parser: {
      maxBulkLength: config.limits.maxBulkLength,
      maxMultibulkLength: config.limits.maxMultibulkLength,
      maxInlineLength: config.limits.maxInlineLength,
      maxQueryBuffer: config.limits.maxQueryBuffer,
    },
    maxInflight: config.limits.maxInflightPerClient,
    maxOutputBuffer: config.limits.maxOutputBuffer,
    idleTimeoutSeconds: config.limits.idleTimeoutSeconds,
  };
  const connections = new Map<number, Address>();
  const clientStates = new Map<number, ClientState>();
  let nextClientId = 1;
  const startedAt = Date.now();
  let listeningPort = config.port;
  const extensions = new Extensions();
  const access = new Access({
    requirepass: config.auth.requirepass,
    users: config.auth.users.map((u) => ({ name: u.name, password: u.password!, commands: u.commands, admin: u.admin })),
    deny: config.commands.deny,
  });
  const facts: ProxyFacts = {
    version,
    admin: config.admin,
    startedAt,
    membershipDatabase: config.membership.database,
    limits: config.limits,
    onDown: config.eject.onDown,
    get port() {
      return listeningPort;
    },
    connectedClients: () => connections.size,
    clients: () => clientStates.values(),
    extensions,
    access,
  };

  // Shared by every connection rather than made per connection: 10,000 idle clients hold no copies.
  const routingFailed = (err: unknown, client: number): void => log.error({ err, client }, 'routing a request failed; answered it with an internal error');
  const opened = (client: ClientState): void => void clientStates.set(client.id, client);
  const accept = (socket: net.Socket): void => {
    if (connections.size >= config.limits.maxClients) {
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const id = nextClientId++;
    const address = runtime.spawn(
      connectionBehavior({
        id,
        socket,
        snapshot: snapshot!,
        router,
        hashTags: config.hashTags,
        limits,
        proxy: facts,
        tracing,
        membership,
        blobs,
        pubsub,
        routingFailed,
        opened,
        closed: (closedId) => {
          connections.delete(closedId);
          clientStates.delete(closedId);
          runtime.tell(membership, { type: 'Unsubscribe', subscriber: address });
        },
      }),
    );
    connections.set(id, address);
    runtime.tell(membership, { type: 'Subscribe', subscriber: address });
  };
  // Over TLS a client is accepted once its handshake is done (and its certificate checked, if asked for).
  const server = frontTls === undefined ? net.createServer({ noDelay: true, pauseOnConnect: false }, accept) : tls.createServer(frontTls, accept);

  const askStatus = (): Promise<MembershipStatus> => runtime.ask<MembershipStatus>(membership, (replyTo) => ({ type: 'GetStatus', replyTo }), 5000);
  const source: MetricsSource = {
    clients: () => connections.size,
    commands: router.counts,
    blobBytes,
    membership: askStatus,
    async nodes() {
      const asked = realNodes().map((node) => runtime.ask<NodeStats>(node, (replyTo) => ({ type: 'GetStats', replyTo }), 2000));
      // A node that does not answer in time (crashed, restarting) is left out of this scrape.
      return (await Promise.allSettled(asked)).flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    },
  };
  let metrics: MetricsServer | null = null;
  try {
    await host?.tracingInstalled();
    if (config.metrics.port !== undefined) {
      metrics = await startMetricsServer(createRegistry(source), source, config.metrics.port, config.metrics.bind);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.bind, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // Nothing may be left running when the proxy could not start.
    await metrics?.close();
    runtime.stop(membership);
    runtime.stop(blobs);
    runtime.stop(pubsub);
    await host?.close();
    await sdk?.shutdown();
    throw error;
  }
  listeningPort = (server.address() as net.AddressInfo).port;
  log.info({ port: listeningPort, bind: config.bind, nodes: config.nodes.length, nodeActors: config.nodeActors, metricsPort: metrics?.port }, 'jupiter listening');

  async function ringInfo(): Promise<RingInfo> {
    return runtime.ask<RingInfo>(membership, (replyTo) => ({ type: 'GetRing', replyTo }), 5000);
  }

  let stopping: Promise<void> | null = null;
  return {
    port: listeningPort,
    ...(metrics === null ? {} : { metricsPort: metrics.port }),
    config: withoutSecrets(config),
    async status() {
      return { ...(await askStatus()), clients: connections.size };
    },
    ring: ringInfo,
    addNode: (address, weight = 1, name) => change({ op: 'add', id: name ?? address, address, weight }),
    removeNode: (node) => change({ op: 'remove', node }),
    setWeight: (node, weight) => change({ op: 'weight', node, weight }),
    replaceNode: (name, address) => change({ op: 'replace', node: name, address }),
    async setNodes(nodes) {
      const parsed = nodeListSchema.safeParse(nodes);
      if (!parsed.success) throw new MembershipChangeError(`invalid node list: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      nodeAccess.learn(nodesWithSecrets(parsed.data));
      await change({ op: 'set', members: parsed.data.map(toMember) });
    },
    on: (event, listener) => events.on(event, listener),
    runtime,
    tap: (actor) => extensions.addTap(actor),
    addAdminCommand: (name, actor) => extensions.addCommand(name, actor, (lower) => lookupCommand('jupiter')!.subcommands!.has(lower)),
    ready: (timeoutMs = 5000) => whenReady({ status: askStatus, onNodeUp: (listener) => events.on('node-up', listener) }, timeoutMs),
    stop(drainMs = 5000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const address of connections.values()) runtime.tell(address, { type: 'Shutdown' });
        const deadline = Date.now() + drainMs;
        while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        for (const address of connections.values()) runtime.stop(address);
        await closed;
        await metrics?.close();
        runtime.stop(blobs);
        runtime.stop(pubsub);
        runtime.stop(membership);
        await host?.close();
        await sdk?.shutdown();
        log.info('jupiter stopped');
      })();
      return stopping;
    },
  };
}
