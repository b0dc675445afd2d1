// The front door of a running jupiter over real nodes: requirepass and users with command lists,
// through ioredis, node-redis (HELLO 3 AUTH) and raw bytes; the deny-list; BLOB.* still working
// behind a password; and a planted password found in none of the logs, INFO, CLIENT LIST,
// CONFIG GET, metrics or spans.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Redis, type RedisOptions } from 'ioredis';
import { createClient } from 'redis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { rejectionOf, within } from '../helpers/placement.js';
import { RawClient } from '../helpers/raw.js';

const SECRET = 'planted-Secret-7f3a';
const READER_SECRET = 'reader-Secret-91c2';

const json = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v));

/** The bytes a raw connection receives until the server closes it. */
async function rawExchange(port: number, bytes: string): Promise<string> {
  const raw = await RawClient.connect(port);
  await raw.write(bytes);
  const got = await raw.read(Number.MAX_SAFE_INTEGER, 10_000);
  assert.ok(raw.ended, 'the server closed the connection');
  return got;
}

describe('the front door: passwords, users, the deny-list', () => {
  let cluster: TestCluster;
  let receiver: OtlpReceiver;
  const logs: string[] = [];
  const closers: (() => unknown)[] = [];
  const ioredis = (options: RedisOptions = {}): Redis => {
    // No reconnecting: a client refused at connect must not keep the test process alive.
    const c = new Redis({ port: cluster.port, maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null, ...options });
    c.on('error', () => {});
    closers.push(() => c.disconnect());
    return c;
  };

  before(async () => {
    receiver = await startOtlpReceiver();
    process.env.OTEL_BSP_SCHEDULE_DELAY = '20';
    const logger = pino({ level: 'trace' }, new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) }));
    cluster = await startCluster(
      3,
      {
        auth: {
          requirepass: SECRET,
          users: [{ name: 'reader', password: READER_SECRET, commands: { allow: ['GET', 'MGET', 'PING', 'INFO', 'CLIENT', 'CONFIG GET'] } }],
        },
        commands: { deny: ['FLUSHALL', 'CONFIG SET'] },
        metrics: { port: 0 },
        tracing: { sampleRatio: 1, recordKeys: true, endpoint: receiver.url },
      },
      { installTracing: true, logger },
    );
  });
  after(async () => {
    await Promise.all(closers.map((close) => Promise.resolve(close()).catch(() => {})));
    await cluster.stop();
    await receiver.close();
  });

  it('refuses commands before AUTH and a wrong password; serves every node after AUTH (ioredis)', async () => {
    // ioredis opens with HELLO 3, refused before AUTH exactly as redis-server with requirepass refuses it.
    const heard: string[] = [];
    const hello = ioredis();
    hello.on('error', (e: Error) => heard.push(e.message));
    await rejectionOf(hello.connect(), 5000);
    assert.match(heard[0], /^NOAUTH HELLO must be called with the client already authenticated/);
    const anonymous = ioredis({ protocol: 2, enableReadyCheck: false });
    await anonymous.connect();
    assert.match((await rejectionOf(anonymous.get('k'), 5000)).message, /^NOAUTH Authentication required\.$/);
    const wrong = ioredis({ password: 'nope' });
    wrong.on('error', (e: Error) => heard.push(e.message));
    await rejectionOf(wrong.connect(), 5000);
    assert.match(heard[1], /^WRONGPASS invalid username-password pair or user is disabled\.$/);
    const client = ioredis({ password: SECRET });
    await client.connect();
    const keys = Array.from({ length: 30 }, (_, i) => `sec:${i}`);
    assert.equal(await client.mset(...keys.flatMap((k) => [k, `v-${k}`])), 'OK');
    assert.deepEqual(await client.mget(...keys), keys.map((k) => `v-${k}`));
    const spread = await Promise.all([0, 1, 2].map((i) => cluster.direct(i).dbsize()));
    assert.ok(spread.every((n) => n > 0), `keys on every node: ${spread}`);
  });

  it('holds a user to its command list (NOPERM) and everyone to the deny-list', async () => {
    const reader = ioredis({ username: 'reader', password: READER_SECRET });
    await reader.connect();
    assert.equal(await reader.get('sec:1'), 'v-sec:1');
    assert.equal((await rejectionOf(reader.set('sec:1', 'x'), 5000)).message, "NOPERM this user has no permissions to run the 'set' command");
    const admin = ioredis({ password: SECRET });
    await admin.connect();
    assert.equal((await rejectionOf(admin.flushall(), 5000)).message, "ERR command 'FLUSHALL' is disabled on this proxy");
    assert.equal((await rejectionOf(admin.config('SET', 'maxmemory', '1'), 5000)).message, "ERR command 'CONFIG SET' is disabled on this proxy");
    assert.equal(await admin.get('sec:1'), 'v-sec:1', 'nothing was flushed');
  });

  it('node-redis signs in with HELLO 3 AUTH and speaks RESP3', async () => {
    const client = createClient({ url: `redis://reader:${READER_SECRET}@127.0.0.1:${cluster.port}`, RESP: 3 });
    client.on('error', () => {});
    await within(client.connect(), 5000, 'node-redis connect');
    closers.push(() => client.quit());
    assert.equal(await client.get('sec:2'), 'v-sec:2');
    const bad = createClient({ url: `redis://reader:wrong@127.0.0.1:${cluster.port}`, RESP: 3, socket: { reconnectStrategy: false } });
    bad.on('error', () => {});
    assert.match((await rejectionOf(bad.connect(), 5000)).message, /WRONGPASS/);
    closers.push(() => bad.destroy());
  });

  it("applies Redis's caps to unauthenticated input, closing that connection only", async () => {
    assert.equal(await rawExchange(cluster.port, '*11\r\n'), '-ERR Protocol error: unauthenticated multibulk length\r\n');
    assert.equal(await rawExchange(cluster.port, '*2\r\n$4\r\nAUTH\r\n$20000\r\n'), '-ERR Protocol error: unauthenticated bulk length\r\n');
    assert.equal(await rawExchange(cluster.port, `*2\r\n$4\r\nAUTH\r\n$${SECRET.length}\r\n${SECRET}\r\n*1\r\n$4\r\nQUIT\r\n`), '+OK\r\n+OK\r\n');
  });

  it('runs BLOB.* behind the password (its own client signs in)', async () => {
    const client = ioredis({ password: SECRET });
    await client.connect();
    const data = Buffer.alloc(300 * 1024, 7);
    assert.equal(await client.call('BLOB.PUT', 'sec-blob', data), 'OK');
    assert.deepEqual(await client.callBuffer('BLOB.GET', 'sec-blob'), data);
  });

  it('never shows a password: not in logs, INFO, CLIENT LIST, CONFIG GET, metrics or spans', async () => {
    const client = ioredis({ password: SECRET });
    await client.connect();
    await client.get('sec:3');
    const texts = [
      String(await client.info('everything')),
      String(await client.client('LIST')),
      JSON.stringify(await client.config('GET', '*')),
      await (await fetch(`http://127.0.0.1:${cluster.proxy.metricsPort}/metrics`)).text(),
      json(await cluster.proxy.status()),
    ];
    const spans = await receiver.waitFor((s) => s.some((span) => span.name.startsWith('GET')));
    texts.push(json(spans), logs.join(''));
    assert.ok(logs.length > 0, 'the logger heard something');
    for (const [i, text] of texts.entries()) {
      assert.ok(!text.includes(SECRET) && !text.includes(READER_SECRET), `a password in text ${i}: ${text.slice(Math.max(0, text.indexOf(SECRET) - 80), text.indexOf(SECRET) + 40)}`);
    }
  });
});
