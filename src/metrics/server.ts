// The HTTP endpoint for operators: GET /metrics (Prometheus text format); GET /healthz (the process
// serves: always 200); GET /readyz (200 when every member of the ring is up, an ejected node being
// out of the ring; else 503 with the nodes that are down and why), for a load balancer or a
// readiness probe; and GET /health (JSON: "ok" or "degraded", 200 either way while jupiter serves,
// since it still answers for the other nodes' keys).
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { MetricsSource } from './registry.js';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(registry: Registry, source: MetricsSource, port: number, bind: string): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const respond = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type }).end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return respond(405, 'text/plain', 'only GET\n');
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => respond(200, registry.contentType, text),
        (error: Error) => respond(500, 'text/plain', `${error.message}\n`),
      );
      return;
    }
    if (path === '/healthz') return respond(200, 'text/plain', 'ok\n');
    if (path === '/readyz') {
      source.membership().then(
        (m) => {
          const down = m.nodes.filter((n) => !n.up).map((n) => `${n.id} down${n.reason ? `: ${n.reason}` : ''}`);
          if (down.length === 0) respond(200, 'text/plain', 'ready\n');
          else respond(503, 'text/plain', `not ready: ${down.join('; ')}\n`);
        },
        (error: Error) => respond(503, 'text/plain', `not ready: ${error.message}\n`),
      );
      return;
    }
    if (path === '/health') {
      source.membership().then(
        (m) => {
          const down = m.nodes.filter((n) => !n.up).map((n) => n.id);
          respond(200, 'application/json', `${JSON.stringify({ status: down.length === 0 ? 'ok' : 'degraded', epoch: m.epoch, nodes: m.nodes.length, down })}\n`);
        },
        (error: Error) => respond(503, 'application/json', `${JSON.stringify({ status: 'unavailable', error: error.message })}\n`),
      );
      return;
    }
    respond(404, 'text/plain', 'try /metrics, /healthz, /readyz or /health\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, bind, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
