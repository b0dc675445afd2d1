// An actor of one's own inside a running jupiter: it taps every routed request, counts requests
// by key prefix (the key up to its first ':'), and answers JUPITER PREFIXES with the counts.
//   JUPITER_NODES=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 node --import tsx examples/custom-actor.ts
import { Redis } from 'ioredis';
import { createProxy, type ActorContext, type AdminCommand, type Behavior, type Tapped } from 'jupiter';

const prefixCounter: Behavior<Tapped | AdminCommand> = {
  name: 'prefix-counter',
  create(ctx: ActorContext) {
    const counts = new Map<string, number>();
    const nodes = new Set<string>();
    return {
      receive(msg) {
        switch (msg.type) {
          case 'Tapped':
            // One client's requests of one event-loop turn: command, first key, members it went to.
            for (const request of msg.requests) {
              for (const node of request.nodes) nodes.add(node);
              if (request.key === undefined) continue;
              const prefix = request.key.split(':')[0];
              counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
            }
            return;
          case 'AdminCommand':
            // JUPITER PREFIXES: one "prefix count" line each, then how many members were used.
            ctx.tell(msg.replyTo, [...[...counts].sort().map(([prefix, n]) => `${prefix} ${n}`), `nodes ${nodes.size}`]);
            return;
        }
      },
    };
  },
};

const nodes = (process.env.JUPITER_NODES ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003').split(',');
const proxy = await createProxy({ port: 0, nodes, log: { level: 'warn' } });
const counter = proxy.runtime.spawn(prefixCounter);
proxy.tap(counter);
proxy.addAdminCommand('PREFIXES', counter);

const client = new Redis({ port: proxy.port });
for (let i = 0; i < 30; i++) await client.set(`user:${i}`, 'x');
await client.mget('order:1', 'user:1', 'user:2');
await client.get('order:2');
console.log(((await client.call('JUPITER', 'PREFIXES')) as string[]).join('\n'));
client.disconnect();
await proxy.stop();
