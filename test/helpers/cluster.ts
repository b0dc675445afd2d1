// A test cluster: real redis-server nodes behind an in-process jupiter.
import { Redis } from 'ioredis';
import { createProxy, type Proxy, type ProxyOptions } from '../../src/actors/system.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startRedisNodes, type RedisNode } from './redis.js';

export interface TestCluster {
  readonly nodes: RedisNode[];
  readonly proxy: Proxy;
  readonly port: number;
  /** An ioredis client connected to jupiter (closed by stop()). */
  client(): Redis;
  /** An ioredis client connected straight to node i (closed by stop()). */
  direct(i: number): Redis;
  stop(): Promise<void>;
}

/** Where NodeActors run in the integration suite: JUPITER_TEST_NODE_ACTORS=worker runs it again in a worker. */
export const nodeActorsPlacement = (process.env.JUPITER_TEST_NODE_ACTORS as 'main' | 'worker' | undefined) ?? 'main';

export async function startCluster(count = 3, overrides: Partial<ConfigInput> = {}, options: ProxyOptions = {}): Promise<TestCluster> {
  const nodes = await startRedisNodes(count);
  const proxy = await createProxy(
    { port: 0, nodes: nodes.map((n) => n.address), nodeActors: nodeActorsPlacement, log: { level: 'silent' }, ...overrides },
    options,
  );
  const clients: Redis[] = [];
  const track = (r: Redis): Redis => {
    clients.push(r);
    return r;
  };
  return {
    nodes,
    proxy,
    port: proxy.port,
    client: () => track(new Redis({ port: proxy.port, host: '127.0.0.1', maxRetriesPerRequest: 1, lazyConnect: false })),
    direct: (i) => track(new Redis({ port: nodes[i].port, host: '127.0.0.1' })),
    async stop() {
      clients.forEach((c) => c.disconnect());
      await proxy.stop(1000);
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
