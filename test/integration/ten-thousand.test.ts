// 10,000 client connections open at once (Redis's default maxclients), each served: a SET of its
// own key and a GET of it back, all in flight together; the 10,001st is refused as Redis refuses it.
// jupiter runs as `jupiter serve` in a child process, so each side of the connections has an
// open-file limit of its own (this machine's hard limit is 20,000 and cannot be raised).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';
import { clientWhenReady, startCli, stopClis } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { within } from '../helpers/placement.js';
import { RawClient } from '../helpers/raw.js';

const CONNECTIONS = 10_000;
/** Connects in waves, under the listen backlog, so no SYN is dropped and retried a second later. */
const WAVE = 400;

/** The open-file limit this process runs under (a child inherits it). */
const openFileLimit = (): number => Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());

describe(`${CONNECTIONS} client connections at once`, () => {
  let nodes: RedisNode[];
  let port: number;
  const sockets: RawClient[] = [];

  before(async () => {
    nodes = await startRedisNodes(3);
    port = await freePort();
    const serve = startCli(['serve', '--port', String(port), '--nodes', nodes.map((n) => n.address).join(','), '--log-level', 'warn']);
    (await clientWhenReady(port, serve)).disconnect();
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await stopClis();
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('serves every one of them, refuses one more, and serves a new client after they close', async () => {
    const limit = openFileLimit();
    assert.ok(limit >= CONNECTIONS + 1000, `the open-file limit is ${limit}: too low for ${CONNECTIONS} connections (ulimit -n)`);
    for (let at = 0; at < CONNECTIONS; at += WAVE) {
      sockets.push(...(await within(Promise.all(Array.from({ length: Math.min(WAVE, CONNECTIONS - at) }, () => RawClient.connect(port))), 30_000, 'a wave of connects')));
    }

    const answers = sockets.map((socket, i) => {
      const value = `v${i}`;
      const expected = `+OK\r\n$${value.length}\r\n${value}\r\n`;
      socket.writeAndForget(`*3\r\n$3\r\nSET\r\n$${`tt:${i}`.length}\r\ntt:${i}\r\n$${value.length}\r\n${value}\r\n*2\r\n$3\r\nGET\r\n$${`tt:${i}`.length}\r\ntt:${i}\r\n`);
      return socket.readLike(expected, 60_000).then((got) => got === expected || `${i}: ${JSON.stringify(got)}`);
    });
    const outcomes = await within(Promise.all(answers), 60_000, 'every connection answered');
    assert.deepEqual(outcomes.filter((o) => o !== true).slice(0, 5), []);

    const extra = await RawClient.connect(port);
    sockets.push(extra);
    const refusal = '-ERR max number of clients reached\r\n';
    assert.equal(await extra.readLike(refusal, 10_000), refusal);

    for (const s of sockets.splice(0)) s.destroy();
    // A new client is served once jupiter has seen the others close (until then it is the 10,001st).
    const fresh = await within(
      (async () => {
        for (;;) {
          const c = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          c.on('error', () => {});
          try {
            await c.connect();
            if ((await c.get('tt:9999')) === 'v9999') return c;
          } catch {
            // refused while the closes are still being seen
          }
          c.disconnect();
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
      30_000,
      'a new client served',
    );
    fresh.disconnect();
  });
});
