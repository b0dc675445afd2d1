// An application that embeds jupiter: a proxy over the nodes in JUPITER_NODES, its ring printed,
// a key stored and read through it, then a clean stop.
//   JUPITER_NODES=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 node --import tsx examples/embed.ts
import { Redis } from 'ioredis';
import { createProxy } from 'jupiter';

const nodes = (process.env.JUPITER_NODES ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003').split(',');
const proxy = await createProxy({ port: 0, nodes, log: { level: 'warn' } });
proxy.on('node-down', ({ node, reason }) => console.error(`${node} down: ${reason}`));

// The nodes connect in the background; wait until each is up (false if one is not, after 5 s).
if (!(await proxy.ready(5000))) console.error('not every node is up');
const ring = await proxy.ring();
console.log(`jupiter on port ${proxy.port}, ring epoch ${ring.epoch}, ${ring.state}`);
for (const m of ring.members) {
  console.log(`  ${m.id} weight ${m.weight} share ${(m.share * 100).toFixed(1)}% ${m.up ? 'up' : 'down'}`);
}

const client = new Redis({ port: proxy.port });
await client.set('example:greeting', 'hello from an embedded jupiter');
console.log(`GET example:greeting -> ${await client.get('example:greeting')}`);
client.disconnect();
await proxy.stop();
