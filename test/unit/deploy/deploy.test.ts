// The deployment files parse, and agree with the code: the Kubernetes probes ask the paths the
// metrics endpoint serves, on the port the ConfigMap's configuration (checked by jupiter's own
// schema) gives it; the Service reaches the proxy's port; the dashboard and Prometheus ask for
// metrics jupiter has, on the port the compose file gives it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { validateConfig } from '../../../src/config/load.js';
import { CommandCounts } from '../../../src/routing/counts.js';
import { createRegistry } from '../../../src/metrics/registry.js';

const root = path.join(import.meta.dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

// Plain YAML and JSON data, checked field by field below.
type Doc = Record<string, any>;

function manifests(): Doc[] {
  return readdirSync(path.join(root, 'deploy/kubernetes'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      parseAllDocuments(read(`deploy/kubernetes/${f}`)).map((d) => {
        assert.deepEqual(d.errors, [], f);
        return d.toJS() as Doc;
      }),
    );
}

describe('deployment files', () => {
  const docs = manifests();
  const kind = (k: string): Doc => {
    const found = docs.filter((d) => d.kind === k);
    assert.equal(found.length, 1, k);
    return found[0];
  };

  it('Kubernetes: two replicas probed on /readyz and /healthz at the metrics port the ConfigMap configures', () => {
    const config = validateConfig(parse(kind('ConfigMap').data['jupiter.yaml']));
    const deployment = kind('Deployment');
    assert.equal(deployment.spec.replicas, 2);
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    const port = (name: string): number => container.ports.find((p: Doc) => p.name === name).containerPort;
    assert.equal(port('redis'), config.port);
    assert.equal(port('metrics'), config.metrics.port);
    assert.equal(config.bind, '0.0.0.0');
    assert.equal(config.metrics.bind, '0.0.0.0');
    assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'metrics' });
    assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'metrics' });
    // The config file the container is started with is the ConfigMap, where it is mounted.
    const mount = container.volumeMounts.find((m: Doc) => m.name === 'config');
    assert.equal(pod.volumes.find((v: Doc) => v.name === 'config').configMap.name, kind('ConfigMap').metadata.name);
    assert.deepEqual(container.args, ['serve', '--config', `${mount.mountPath}/jupiter.yaml`]);
    assert.equal(pod.securityContext.runAsNonRoot, true);
  });

  it('Kubernetes: the Service serves Redis on 6379 and the budget keeps a replica', () => {
    const labels = kind('Deployment').spec.template.metadata.labels;
    const service = kind('Service');
    assert.deepEqual(service.spec.selector, labels);
    assert.deepEqual(service.spec.ports.find((p: Doc) => p.name === 'redis'), { name: 'redis', port: 6379, targetPort: 'redis' });
    const budget = kind('PodDisruptionBudget');
    assert.deepEqual(budget.spec.selector.matchLabels, labels);
    assert.equal(budget.spec.minAvailable, 1);
  });

  it('the Grafana dashboard and Prometheus ask for metrics jupiter has, where compose and the image serve them', () => {
    const registry = createRegistry({ clients: () => 0, commands: new CommandCounts(), membership: () => Promise.reject(new Error('unused')), nodes: () => Promise.resolve([]) });
    const names = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const dashboard = JSON.parse(read('deploy/grafana/jupiter.json'));
    const exprs: string[] = dashboard.panels.flatMap((p: Doc) => p.targets.map((t: Doc) => t.expr));
    assert.ok(exprs.length >= 8);
    for (const expr of exprs) {
      for (const [used] of expr.matchAll(/jupiter_[a-z_]+/g)) {
        assert.ok(names.has(used.replace(/_(bucket|sum|count)$/, '')), `${used} in "${expr}" is no metric of jupiter's`);
      }
    }
    for (const wanted of ['jupiter_node_requests_total', 'jupiter_node_latency_seconds_bucket', 'jupiter_ring_epoch', 'jupiter_handoff_keys_moved']) {
      assert.ok(exprs.some((e) => e.includes(wanted)), wanted);
    }
    const compose = parse(read('docker-compose.yml'));
    const metricsPort = compose.services.jupiter.environment.JUPITER_METRICS_PORT;
    const prometheus = parse(read('deploy/prometheus/prometheus.yml'));
    assert.deepEqual(prometheus.scrape_configs[0].static_configs[0].targets, [`jupiter:${metricsPort}`]);
    const dockerfile = read('Dockerfile');
    assert.match(dockerfile, new RegExp(`JUPITER_METRICS_PORT=${metricsPort}\\b`));
    assert.match(dockerfile, /^HEALTHCHECK .*\n.*\/healthz/m);
    assert.match(dockerfile, /^USER node$/m);
  });
});
