// The proxy's Prometheus metrics. Nothing is counted on the hot path for them: each scrape asks
// the actors for the counts they keep anyway (a few additions per batch) and reads them then.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MembershipStatus, NodeStats } from '../actors/messages.js';
import { LATENCY_BOUNDS_MS } from '../actors/latency.js';
import { commandNames } from '../protocol/commands.js';
import type { CommandCounts } from '../routing/counts.js';
import type { BlobBytes } from '../actors/blob.js';

/** Where a scrape reads its numbers from. */
export interface MetricsSource {
  clients(): number;
  /** Requests and error replies by command id, counted in place (routing/counts.ts). */
  readonly commands: CommandCounts;
  /** Bytes of blobs written and read through BLOB.* (actors/blob.ts). */
  readonly blobBytes?: BlobBytes;
  membership(): Promise<MembershipStatus>;
  nodes(): Promise<readonly NodeStats[]>;
}

/** Counters whose value is read, not incremented: set to the actor's count at each scrape. */
function readCounter(registry: Registry, name: string, help: string, labelNames: string[], read: (set: (labels: Record<string, string>, value: number) => void) => Promise<void>): void {
  const metric: Counter<string> = new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      metric.reset();
      await read((labels, value) => metric.inc(labels, value));
    },
  });
}

export function createRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'jupiter_' });
  new Gauge({
    name: 'jupiter_clients',
    help: 'Client connections open now.',
    registers: [registry],
    collect() {
      this.set(source.clients());
    },
  });
  for (const [name, help, read] of [
    ['jupiter_handoff_active', '1 while a membership change hands keys off, else 0.', (m: MembershipStatus) => (m.state === 'stable' ? 0 : 1)],
    ['jupiter_handoff_keys_moved', 'Keys the running (or last) handoff has moved.', (m: MembershipStatus) => m.handoff.keysMoved],
    ['jupiter_handoff_keys_total_estimate', 'Keys the running (or last) handoff expects to move.', (m: MembershipStatus) => m.handoff.keysTotalEstimate],
  ] as const) {
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.set(read(await source.membership()));
      },
    });
  }
  new Gauge({
    name: 'jupiter_ring_epoch',
    help: 'Epoch of the ring in use.',
    registers: [registry],
    async collect() {
      this.set((await source.membership()).epoch);
    },
  });
  new Gauge({
    name: 'jupiter_node_up',
    help: "1 while the node's shared connection is open, else 0.",
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const n of (await source.membership()).nodes) this.set({ node: n.id }, n.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jupiter_node_ejected',
    help: 'Members out of the ring now (eject), each with when it left (Unix seconds).',
    labelNames: ['node'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const e of (await source.membership()).ejected) this.set({ node: e.id }, Math.floor(e.since / 1000));
    },
  });
  // Labelled by command names from the command table only (or "unknown"), never by what a client sent.
  const byCommand = (counts: Float64Array) => async (set: (labels: Record<string, string>, value: number) => void) => {
    counts.forEach((n, id) => n > 0 && set({ command: commandNames[id] }, n));
  };
  readCounter(registry, 'jupiter_commands_total', 'Requests by command (subcommands as command|sub; unknown: a command not found).', ['command'], byCommand(source.commands.calls));
  readCounter(registry, 'jupiter_command_errors_total', 'Error replies by command: from the nodes and from jupiter (refusals, unavailable nodes, timeouts).', ['command'], byCommand(source.commands.errors));
  readCounter(registry, 'jupiter_blob_bytes_total', 'Bytes of blobs written (BLOB.PUT) and read (BLOB.GET, BLOB.GETRANGE) through this proxy.', ['direction'], async (set) => {
    set({ direction: 'written' }, source.blobBytes?.written ?? 0);
    set({ direction: 'read' }, source.blobBytes?.read ?? 0);
  });
  readCounter(registry, 'jupiter_ejections_total', 'Members ejected (eject) since this proxy started.', [], async (set) => set({}, (await source.membership()).ejections));
  const perNode = (read: (s: NodeStats) => number) => async (set: (labels: Record<string, string>, value: number) => void) => {
    for (const s of await source.nodes()) set({ node: s.node }, read(s));
  };
  readCounter(registry, 'jupiter_node_requests_total', 'Requests sent to the node, by link.', ['node', 'link'], async (set) => {
    for (const s of await source.nodes()) {
      set({ node: s.node, link: 'shared' }, s.requests);
      set({ node: s.node, link: 'side' }, s.slowRequests);
    }
  });
  readCounter(registry, 'jupiter_node_timeouts_total', 'Requests answered with a timeout error.', ['node'], perNode((s) => s.timeouts));
  readCounter(registry, 'jupiter_node_refused_total', 'Requests refused at once, by reason.', ['node', 'reason'], async (set) => {
    for (const s of await source.nodes()) {
      set({ node: s.node, reason: 'unavailable' }, s.refusedUnavailable);
      set({ node: s.node, reason: 'busy' }, s.refusedBusy);
    }
  });
  readCounter(registry, 'jupiter_node_failed_total', 'Requests answered with an error because their connection was lost or sent a bad reply.', ['node'], perNode((s) => s.failed));
  for (const [name, help, read] of [
    ['jupiter_node_inflight', 'Requests in flight to the node now.', (s: NodeStats) => s.inflight],
    ['jupiter_node_queued_bytes', 'Request bytes waiting to be sent to the node now.', (s: NodeStats) => s.queuedBytes],
    ['jupiter_node_leases', 'Connections to the node leased to clients now (transactions, blocking commands).', (s: NodeStats) => s.leases],
    ['jupiter_node_idle_leases', 'Connections to the node kept open for the next lease.', (s: NodeStats) => s.idleLeases],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const s of await source.nodes()) this.set({ node: s.node }, read(s));
      },
    });
  }
  latencyHistogram(registry, source);
  return registry;
}

/**
 * jupiter_node_latency_seconds, a histogram per node read from the NodeActors' bucket counts at
 * each scrape (prom-client's Histogram only observes, so this metric formats its own samples).
 */
function latencyHistogram(registry: Registry, source: MetricsSource): void {
  const name = 'jupiter_node_latency_seconds';
  const help = "Time from a request's queueing for the node to its reply's arrival (ms resolution).";
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const s of await source.nodes()) {
        let cumulative = 0;
        s.latency.counts.forEach((count, i) => {
          cumulative += count;
          const le = i < LATENCY_BOUNDS_MS.length ? String(LATENCY_BOUNDS_MS[i] / 1000) : '+Inf';
          values.push({ metricName: `${name}_bucket`, labels: { node: s.node, le }, value: cumulative });
        });
        values.push({ metricName: `${name}_sum`, labels: { node: s.node }, value: s.latency.sumMs / 1000 });
        values.push({ metricName: `${name}_count`, labels: { node: s.node }, value: cumulative });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}
