// Random and mutated RESP sent to a running jupiter (fast-check, seeded; JUPITER_FUZZ_RUNS for a
// longer run), each on a connection of its own, while a clean connection keeps checking that
// valid commands are answered right: no crash, every clean command answered with its own value,
// and memory that does not grow with the garbage. JUPITER_FUZZ_TRACE=file appends each input (hex)
// to the file before it is sent, to find the one that broke a run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { appendFileSync } from 'node:fs';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { encodeCommand } from '../../src/protocol/encode.js';
import { within } from '../helpers/placement.js';

const RUNS = Number(process.env.JUPITER_FUZZ_RUNS ?? 300);
const SEED = Number(process.env.JUPITER_FUZZ_SEED ?? 20261206);

const VALID = [
  ['SET', 'fz:a', 'value'],
  ['GET', 'fz:a'],
  ['MGET', 'fz:a', 'fz:b', 'fz:c'],
  ['MSET', 'fz:b', '1', 'fz:c', '2'],
  ['HELLO', '3'],
  ['MULTI'],
  ['EXEC'],
  ['SUBSCRIBE', 'fz:ch'],
  ['CLIENT', 'SETNAME', 'x'],
  ['EVAL', 'return 1', '0'],
  ['BLOB.PUT', 'fz-blob', 'data'],
  ['JUPITER', 'NODES'],
  ['PING'],
].map((args) => encodeCommand(args));

/** Bytes a client might send: valid commands, cut, spliced, with bytes flipped or inserted, or noise. */
const garbage = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 200 }),
  fc
    .record({
      commands: fc.array(fc.constantFrom(...VALID), { minLength: 1, maxLength: 4 }),
      cut: fc.nat(),
      flips: fc.array(fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
      insert: fc.option(fc.record({ at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) })),
    })
    .map(({ commands, cut, flips, insert }) => {
      let bytes = Buffer.concat(commands);
      for (const f of flips) bytes[f.at % bytes.length] = f.byte;
      if (insert !== null) bytes = Buffer.concat([bytes.subarray(0, insert.at % bytes.length), insert.bytes, bytes.subarray(insert.at % bytes.length)]);
      return Uint8Array.from(bytes.subarray(0, Math.max(1, bytes.length - (cut % 8))));
    }),
  fc.constantFrom('*abc\r\n', '*-5\r\n', '$-5\r\n', '*1\r\n$99999999999\r\n', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\nx', '"unbalanced\r\n', 'PING\0\0\r\n').map((s) => Buffer.from(s)),
);

/** Writes the bytes on a connection of its own, then ends it; resolves once the socket is closed. */
function sendAndClose(port: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

describe('fuzzing the client protocol', () => {
  let cluster: TestCluster;
  let clean: Redis;

  before(async () => {
    cluster = await startCluster(3, { backend: { requestTimeoutMs: 2000 } });
    clean = cluster.client();
  });
  after(() => cluster.stop());

  it(`${RUNS} random and mutated inputs: each closes alone, and a clean connection keeps its answers right`, async () => {
    const rssBefore = process.memoryUsage().rss;
    let i = 0;
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const n = i++;
        if (process.env.JUPITER_FUZZ_TRACE) appendFileSync(process.env.JUPITER_FUZZ_TRACE, Buffer.from(bytes).toString('hex') + '\n');
        await within(sendAndClose(cluster.port, bytes), 10_000, 'a garbage connection to close');
        // The clean connection, in the same moment: its own value back, never another's.
        assert.equal(await within(clean.set(`fz:clean:${n}`, `v${n}`), 5000, 'SET'), 'OK');
        assert.equal(await within(clean.get(`fz:clean:${n}`), 5000, 'GET'), `v${n}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // A new client is served too, and the garbage left no memory behind it (generous: GC timing varies).
    const fresh = cluster.client();
    assert.equal(await within(fresh.ping(), 5000, 'PING'), 'PONG');
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(grownMiB < 200, `RSS grew ${grownMiB.toFixed(1)} MiB`);
  });
});
