// The proxy as a whole: configuration, the actor runtime, the listener, and graceful shutdown.
// createProxy() is the embedding entry point; the CLI is a thin wrapper around it.
import net from 'node:net';
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import { validateConfig } from '../config/load.js';
import { memberId, type Config, type ConfigInput } from '../config/schema.js';
import { Router } from '../routing/router.js';
import { MEMBERS_FIXED } from '../protocol/errors.js';
import { ActorRuntime, type Address } from './runtime.js';
import { connectionBehavior, type ConnectionLimits } from './connection.js';
import { membershipBehavior } from './membership.js';
import { blobBehavior } from './blob.js';
import { Redis } from 'ioredis';
import type { MembershipStatus, NodeStats, RingSnapshot } from './messages.js';
import { createRegistry, type MetricsSource } from '../metrics/registry.js';
import { startMetricsServer, type MetricsServer } from '../metrics/server.js';
import { ProxyEventHub, type ProxyEventName, type ProxyEvents } from './events.js';
import { nodeBehavior, type NodeOptions } from './node.js';
import { WorkerHost } from './placement.js';
import type { Member } from '../ring/ring.js';
import type { ProxyFacts } from '../routing/dispatch.js';
import { Tracing } from '../telemetry/tracing.js';
import type { InstalledSdk } from '../telemetry/sdk.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** One member of the ring as the embedding API shows it. */
export interface RingMember {
  /** Its id on the ring: its name, or its address. */
  readonly id: string;
  readonly address: string;
  readonly weight: number;
  /** Its share of the keys (of the hash space), 0 to 1. */
  readonly share: number;
  readonly up: boolean;
}

export interface RingInfo {
  readonly epoch: number;
  readonly members: readonly RingMember[];
}

export interface Proxy {
  /** The port the proxy listens on (useful with port 0). */
  readonly port: number;
  /** The port of GET /metrics and /health, when metrics.port is set. */
  readonly metricsPort?: number;
  readonly config: Config;
  status(): Promise<MembershipStatus & { clients: number }>;
  /** The ring: its epoch, and each member's address, weight, share of the keys and state. */
  ring(): Promise<RingInfo>;
  /** Membership changes while serving are not available yet: each rejects with a MembershipChangeError. */
  addNode(address: string, weight?: number): Promise<void>;
  removeNode(address: string): Promise<void>;
  setWeight(address: string, weight: number): Promise<void>;
  /** Calls `listener` on each such event; returns the function that stops it. */
  on<E extends ProxyEventName>(event: E, listener: (data: ProxyEvents[E]) => void): () => void;
  /** Stops accepting, lets in-flight requests finish (up to drainMs), then closes everything. */
  stop(drainMs?: number): Promise<void>;
}

export class MembershipChangeError extends Error {
  constructor(operation: string) {
    super(`${operation}: ${MEMBERS_FIXED}`);
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

/** Loads the SDK only when asked, so that embedding jupiter never pulls it in otherwise. */
async function loadSdk(endpoint: string | undefined): Promise<InstalledSdk | null> {
  const sdk = await import('../telemetry/sdk.js');
  return sdk.installSdk(sdk.sdkSettings(endpoint));
}

export async function createProxy(input: ConfigInput | Config, options: ProxyOptions = {}): Promise<Proxy> {
  const config = validateConfig(input);
  const log = options.logger ?? pino({ level: config.log.level });
  const runtime = new ActorRuntime({ onCrash: (behavior, error) => log.error({ behavior, err: error }, 'actor crashed; restarting') });
  const tracing = Tracing.create(config.tracing, Object.values(config.prefixes));
  const sdk = tracing !== null && options.installTracing ? await loadSdk(config.tracing.endpoint) : null;
  if (sdk !== null) {
    const endpoint = sdk.settings.endpoint ?? 'from OTEL_EXPORTER_OTLP_* (default http://localhost:4318/v1/traces)';
    log.info({ sampleRatio: tracing!.ratio, recordKeys: tracing!.recordKeys, endpoint }, 'tracing on');
  }
  const host =
    config.nodeActors === 'worker' ? new WorkerHost(runtime, (err) => log.error({ err }, 'node actor worker failed'), sdk?.settings) : null;

  const events = new ProxyEventHub((err) => log.error({ err }, 'a proxy event listener failed'));
  const nodeOf = (member: Member) => config.nodes.find((n) => memberId(n) === member.id)!;
  const addressOf = (member: Member): string => {
    const { host: h, port } = nodeOf(member);
    return `${h.includes(':') ? `[${h}]` : h}:${port}`;
  };
  const nodeOptions = (member: Member, health: Address): NodeOptions => {
    const { host: h, port } = nodeOf(member);
    return { id: member.id, host: h, port, health, ...config.backend };
  };
  let snapshot: RingSnapshot | undefined;
  const membership = runtime.spawn(
    membershipBehavior({
      members: config.nodes.map((n) => ({ id: memberId(n), weight: n.weight })),
      spawnNode: (member, health) =>
        host ? host.spawn('node', nodeOptions(member, health)) : runtime.spawn(nodeBehavior(nodeOptions(member, health))),
      published: (s) => (snapshot = s),
      addressOf,
      notify: (e) => events.emit(e),
      log: (event, fields) => (event === 'node down' ? log.warn(fields, event) : log.info(fields, event)),
    }),
  );

  // BLOB.* commands run over a client of this proxy itself, connected on first use (after listen).
  const selfHost = config.bind === '0.0.0.0' || config.bind === '::' ? '127.0.0.1' : config.bind;
  const blobs = runtime.spawn(
    blobBehavior({ connect: () => new Redis({ host: selfHost, port: listeningPort, maxRetriesPerRequest: 1, enableReadyCheck: false }) }),
  );
  const router = new Router({ prefixes: config.prefixes });
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
  let nextClientId = 1;
  const startedAt = Date.now();
  let listeningPort = config.port;
  const facts: ProxyFacts = {
    version,
    admin: config.admin,
    startedAt,
    get port() {
      return listeningPort;
    },
    connectedClients: () => connections.size,
  };

  const server = net.createServer({ noDelay: true, pauseOnConnect: false }, (socket) => {
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
        routingFailed: (err) => log.error({ err, client: id }, 'routing a request failed; answered it with an internal error'),
        closed: (closedId) => {
          connections.delete(closedId);
          runtime.tell(membership, { type: 'Unsubscribe', subscriber: address });
        },
      }),
    );
    connections.set(id, address);
    runtime.tell(membership, { type: 'Subscribe', subscriber: address });
  });

  const askStatus = (): Promise<MembershipStatus> => runtime.ask<MembershipStatus>(membership, (replyTo) => ({ type: 'GetStatus', replyTo }), 5000);
  const source: MetricsSource = {
    clients: () => connections.size,
    membership: askStatus,
    async nodes() {
      const asked = (snapshot?.nodes ?? []).map((node) => runtime.ask<NodeStats>(node, (replyTo) => ({ type: 'GetStats', replyTo }), 2000));
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
    for (const node of snapshot?.nodes ?? []) runtime.stop(node);
    runtime.stop(membership);
    runtime.stop(blobs);
    await host?.close();
    await sdk?.shutdown();
    throw error;
  }
  listeningPort = (server.address() as net.AddressInfo).port;
  log.info({ port: listeningPort, bind: config.bind, nodes: config.nodes.length, nodeActors: config.nodeActors, metricsPort: metrics?.port }, 'jupiter listening');

  let stopping: Promise<void> | null = null;
  return {
    port: listeningPort,
    ...(metrics === null ? {} : { metricsPort: metrics.port }),
    config,
    async status() {
      return { ...(await askStatus()), clients: connections.size };
    },
    async ring() {
      const { ring } = snapshot!;
      const { nodes } = await askStatus();
      const shares = ring.keyShares();
      return {
        epoch: ring.epoch,
        members: ring.members.map((m, i) => ({
          id: m.id,
          address: addressOf(m),
          weight: m.weight,
          share: shares[i],
          up: nodes.find((n) => n.id === m.id)?.up ?? false,
        })),
      };
    },
    addNode: () => Promise.reject(new MembershipChangeError('addNode')),
    removeNode: () => Promise.reject(new MembershipChangeError('removeNode')),
    setWeight: () => Promise.reject(new MembershipChangeError('setWeight')),
    on: (event, listener) => events.on(event, listener),
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
        for (const node of snapshot?.nodes ?? []) runtime.stop(node);
        runtime.stop(membership);
        await host?.close();
        await sdk?.shutdown();
        log.info('jupiter stopped');
      })();
      return stopping;
    },
  };
}
