// BlobStore through a running jupiter over three real nodes: round trips of every size edge,
// chunks spread over every node, explicit failures (a missing chunk, a flipped byte), rewrites
// that never mix two versions, expiry, delete and list.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawConnection } from '../helpers/resp.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { waitStable } from '../helpers/handoff.js';
import { BlobStore } from '../../src/blob/store.js';
import { BlobChecksumError, BlobIncompleteError, BlobNotFoundError } from '../../src/blob/errors.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const KiB = 1024;

describe('BlobStore', () => {
  let cluster: TestCluster;
  let redis: Redis;
  let store: BlobStore;
  let directs: Redis[];

  before(async () => {
    cluster = await startCluster(3);
    redis = cluster.client();
    store = new BlobStore(redis);
    directs = [0, 1, 2].map((i) => cluster.direct(i));
  });
  after(() => cluster.stop());

  /** Keys matching `pattern` on each node, asked of the nodes themselves. */
  const keysOnNodes = (pattern: string): Promise<string[][]> => Promise.all(directs.map((d) => d.keys(pattern)));

  for (const [label, size] of [
    ['0 B', 0],
    ['1 B', 1],
    ['64 KiB exactly', 64 * KiB],
    ['64 KiB + 1', 64 * KiB + 1],
    ['10 MB', 10 * 1000 * 1000],
  ] as const) {
    it(`round-trips ${label} through writeAll/readAll and through the streams`, async () => {
      const data = randomBytes(size);
      const manifest = await store.writeAll(`rt:${label}`, data);
      assert.equal(manifest.size, size);
      assert.equal(manifest.chunks, Math.ceil(size / (64 * KiB)));
      assert.deepEqual(await store.readAll(`rt:${label}`), data);
      // Streams: written in uneven pieces, read back whole.
      const pieces = [];
      for (let at = 0; at < size; at += 10_007) pieces.push(data.subarray(at, at + 10_007));
      await pipeline(Readable.from(pieces), store.createWriteStream(`rts:${label}`));
      const back: Buffer[] = [];
      for await (const chunk of store.createReadStream(`rts:${label}`)) back.push(chunk as Buffer);
      assert.deepEqual(Buffer.concat(back), data);
    });
  }

  it("spreads a 10 MB blob's chunks over every node, and its manifest is one key", async () => {
    await store.writeAll('spread', randomBytes(10 * 1000 * 1000));
    const perNode = await keysOnNodes('blob.chunk:*:spread');
    assert.equal(perNode.flat().length, 153);
    for (const keys of perNode) assert.ok(keys.length > 20, `a node holds only ${keys.length} of 153 chunks`);
    assert.equal((await keysOnNodes('blob:spread')).flat().length, 1);
  });

  it('straight to the nodes with jupiter’s ring: what one side writes, the other reads, and each chunk sits where jupiter puts it', async () => {
    const direct = BlobStore.overNodes(cluster.nodes.map((n) => n.address));
    try {
      const data = randomBytes(3 * 1000 * 1000);
      await direct.writeAll('straight:a', data, { ttlSeconds: 300 });
      assert.deepEqual(await store.readAll('straight:a'), data);
      const other = randomBytes(100 * KiB + 7);
      await store.writeAll('straight:b', other);
      assert.deepEqual(await direct.readAll('straight:b'), other);
      assert.deepEqual(await direct.readRange('straight:b', 64 * KiB - 2, 64 * KiB + 1), other.subarray(64 * KiB - 2, 64 * KiB + 2));
      assert.deepEqual(await direct.list('straight:'), ['straight:a', 'straight:b']);
      // Every chunk key of the straight write is on exactly the node jupiter's GET of it reaches.
      const manifest = (await direct.stat('straight:a'))!;
      const keys = Array.from({ length: manifest.chunks }, (_, i) => `blob.chunk:{${manifest.version}.${i}}:straight:a`);
      const viaProxy = await redis.mgetBuffer(...keys);
      assert.ok(viaProxy.every((v) => v !== null));
      assert.equal(await direct.delete('straight:a'), true);
      assert.equal(await store.readAll('straight:a'), null);
      assert.deepEqual((await keysOnNodes('blob.chunk:*:straight:a')).flat(), []);
    } finally {
      direct.close();
    }
  });

  it('a missing chunk fails the read with BlobIncompleteError, a flipped byte with BlobChecksumError; never wrong bytes', async () => {
    const data = randomBytes(20 * 64 * KiB);
    const manifest = await store.writeAll('broken', data);
    const key17 = `blob.chunk:{${manifest.version}.17}:broken`;
    const holder = (await Promise.all(directs.map((d) => d.exists(key17)))).findIndex((n) => n === 1);
    const original = (await directs[holder].getBuffer(key17))!;
    const flipped = Buffer.from(original);
    flipped[100] ^= 0xff;
    await directs[holder].set(key17, flipped);
    await assert.rejects(store.readAll('broken'), (e: unknown) => e instanceof BlobChecksumError && e.message === "blob 'broken': checksum mismatch in chunk 17");
    await directs[holder].del(key17);
    await assert.rejects(store.readAll('broken'), (e: unknown) => e instanceof BlobIncompleteError && e.message === "incomplete blob 'broken': chunk 17 of 20 missing");
    const stream = store.createReadStream('broken');
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      BlobIncompleteError,
    );
    await directs[holder].set(key17, original);
    assert.deepEqual(await store.readAll('broken'), data);
  });

  it('an absent blob reads as null, streams with BlobNotFoundError, stats as null', async () => {
    assert.equal(await store.readAll('absent'), null);
    assert.equal(await store.stat('absent'), null);
    await assert.rejects(
      (async () => {
        for await (const _ of store.createReadStream('absent'));
      })(),
      BlobNotFoundError,
    );
  });

  it("a rewrite deletes the previous version's chunks; 100 concurrent rewrite and read rounds never return a mix of two versions", async () => {
    const first = await store.writeAll('versions', Buffer.alloc(5 * 64 * KiB, 1));
    await store.writeAll('versions', Buffer.alloc(3 * 64 * KiB, 2));
    assert.deepEqual((await keysOnNodes(`blob.chunk:{${first.version}.*`)).flat(), []);
    const reads: Promise<Buffer | null>[] = [];
    const writes: Promise<unknown>[] = [];
    for (let round = 0; round < 100; round++) {
      // Each version is one byte value repeated, its length tied to the value.
      const byte = 3 + (round % 200);
      writes.push(store.writeAll('versions', Buffer.alloc((1 + (byte % 7)) * 64 * KiB + byte, byte), { chunkSize: 64 * KiB }));
      reads.push(store.readAll('versions').catch((e: unknown) => (e instanceof BlobIncompleteError ? null : Promise.reject(e))));
    }
    await Promise.all(writes);
    let whole = 0;
    for (const data of await Promise.all(reads)) {
      if (data === null) continue;
      whole++;
      const byte = data[0];
      assert.ok(data.every((b) => b === byte), 'a read mixed two versions');
      if (byte >= 3) assert.equal(data.length, (1 + (byte % 7)) * 64 * KiB + byte);
    }
    assert.ok(whole > 50, `${whole} of 100 reads completed`);
    // Only the last version's chunks are left.
    const last = (await store.stat('versions'))!;
    assert.equal((await keysOnNodes('blob.chunk:*:versions')).flat().length, last.chunks);
  });

  it('ttlSeconds applies to the manifest and every chunk alike', async () => {
    const manifest = await store.writeAll('ttl', randomBytes(4 * 64 * KiB), { ttlSeconds: 100 });
    const keys = ['blob:ttl', ...Array.from({ length: manifest.chunks }, (_, i) => `blob.chunk:{${manifest.version}.${i}}:ttl`)];
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      assert.ok(ttl > 0 && ttl <= 100, `${key}: ${ttl}`);
    }
  });

  it('delete removes the manifest and the chunks; list names the blobs under a prefix', async () => {
    await store.writeAll('dir/a', Buffer.from('a'));
    await store.writeAll('dir/b', Buffer.alloc(3 * 64 * KiB, 7));
    await store.writeAll('other', Buffer.from('x'));
    assert.deepEqual(await store.list('dir/'), ['dir/a', 'dir/b']);
    const b = (await store.stat('dir/b'))!;
    assert.equal(await store.delete('dir/b'), true);
    assert.equal(await store.delete('dir/b'), false);
    assert.deepEqual((await keysOnNodes(`blob.chunk:{${b.version}.*`)).flat(), []);
    assert.deepEqual(await store.list('dir/'), ['dir/a']);
    assert.ok((await store.list()).includes('other'));
  });

  describe('BLOB.* commands through the proxy', () => {
    it('BLOB.PUT, GET, GETRANGE across chunk boundaries, STAT, LIST and DEL answer as documented; a pipeline runs them in order', async () => {
      const data = randomBytes(5 * 64 * KiB + 123);
      const p = redis.pipeline();
      p.call('BLOB.PUT', 'resp:a', data);
      p.callBuffer('BLOB.GET', 'resp:a');
      p.callBuffer('BLOB.GETRANGE', 'resp:a', String(64 * KiB - 10), String(2 * 64 * KiB + 9));
      p.callBuffer('BLOB.GETRANGE', 'resp:a', '-5', '-1');
      p.call('BLOB.STAT', 'resp:a');
      p.call('BLOB.LIST', 'resp:');
      p.call('BLOB.DEL', 'resp:a');
      p.call('BLOB.GET', 'resp:a');
      p.call('BLOB.DEL', 'resp:a');
      const results = (await p.exec())!.map(([error, value]) => {
        assert.equal(error, null);
        return value;
      });
      assert.equal(results[0], 'OK');
      assert.deepEqual(results[1], data);
      assert.deepEqual(results[2], data.subarray(64 * KiB - 10, 2 * 64 * KiB + 10));
      assert.deepEqual(results[3], data.subarray(data.length - 5));
      assert.match(String(results[4]), new RegExp(`^size:${data.length}\r\nchunks:6\r\nchunk_size:65536\r\nversion:[0-9a-f]{16}\r\n`));
      assert.deepEqual(results[5], ['resp:a']);
      assert.equal(results[6], 1);
      assert.equal(results[7], null);
      assert.equal(results[8], 0);
    });

    it('a missing chunk or a flipped byte is an error reply, never wrong bytes; BLOB.PUT ... TTL sets the expiry', async () => {
      await redis.call('BLOB.PUT', 'resp:broken', Buffer.alloc(3 * 64 * KiB, 5), 'TTL', '100');
      const manifest = (await store.stat('resp:broken'))!;
      assert.ok((await redis.ttl('blob:resp:broken')) > 0);
      const key = `blob.chunk:{${manifest.version}.1}:resp:broken`;
      await redis.del(key);
      await assert.rejects(redis.call('BLOB.GET', 'resp:broken'), /^ReplyError: ERR incomplete blob 'resp:broken': chunk 1 of 3 missing$/);
      await redis.set(key, Buffer.alloc(64 * KiB, 6));
      await assert.rejects(redis.call('BLOB.GET', 'resp:broken'), /^ReplyError: ERR blob 'resp:broken': checksum mismatch in chunk 1$/);
    });

    it('BLOB.GET streams a window of chunks at a time; a chunk missing past the first window cuts the reply short and closes the connection', async () => {
      const data = randomBytes(10 * 64 * KiB);
      assert.equal(await redis.call('BLOB.PUT', 'resp:long', data), 'OK');
      assert.deepEqual(await redis.callBuffer('BLOB.GET', 'resp:long'), data);
      const manifest = (await store.stat('resp:long'))!;
      await redis.del(`blob.chunk:{${manifest.version}.6}:resp:long`);
      const raw = await RawConnection.connect(cluster.port);
      const { replies, closed } = await raw.callUntilClosed([['BLOB.GET', 'resp:long']]);
      raw.close();
      // The client got the start of a bulk reply and then a closed connection: never a whole reply of wrong bytes.
      assert.deepEqual({ replies, closed }, { replies: [], closed: true });
      assert.equal(await redis.ping(), 'PONG');
    });

    it('redis-cli -x BLOB.PUT reads a file from stdin, and BLOB.GET gives it back', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-blob-'));
      try {
        const file = path.join(dir, 'f.txt');
        writeFileSync(file, 'line one\nline two\n'.repeat(10_000));
        // Asynchronously: the proxy runs in this process and must keep serving while redis-cli waits.
        const cli = spawn('redis-cli', ['-p', String(cluster.port), '-x', 'BLOB.PUT', 'resp:file'], { stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
        const exited = new Promise((resolve) => cli.once('exit', resolve));
        cli.stdin.end(readFile(file));
        assert.equal(await exited, 0);
        assert.equal(out.trim(), 'OK');
        // redis-cli -x adds nothing: the blob is the file's bytes.
        assert.deepEqual(await redis.callBuffer('BLOB.GET', 'resp:file'), readFile(file));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

const readFile = (file: string): Buffer => readFileSync(file);

describe('a blob across a membership change', () => {
  let cluster: TestCluster;
  let extra: RedisNode;

  before(async () => {
    cluster = await startCluster(2, { membership: { heartbeatMs: 100 } });
    extra = await startRedis();
  });
  after(async () => {
    await cluster.stop();
    await extra.stop();
  });

  it('keeps every byte while its chunks move to the new node like any other keys', async () => {
    const redis = cluster.client();
    const store = new BlobStore(redis);
    const data = randomBytes(3 * 1000 * 1000);
    await store.writeAll('moving', data);
    assert.equal(await redis.call('JUPITER', 'ADDNODE', extra.address), 'OK');
    // Read while the handoff runs, and once it is over.
    assert.deepEqual(await store.readAll('moving'), data);
    await waitStable(redis, 2);
    assert.deepEqual(await store.readAll('moving'), data);
    const onExtra = new Redis({ port: extra.port });
    try {
      assert.ok((await onExtra.keys('blob.chunk:*:moving')).length > 0, 'some chunks live on the new node');
    } finally {
      onExtra.disconnect();
    }
  });
});
