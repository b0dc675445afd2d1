import { test, mock, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { answerDeadRoute } from '../../../src/actors/dead-letters.js';
import { addToBatch, takeBatch } from '../../../src/actors/batch.js';
import { internalError } from '../../../src/protocol/errors.js';
import { ActorRuntime, AskTimeoutError, type ActorContext, type Address, type Behavior } from '../../../src/actors/runtime.js';

/** One event-loop turn: the runtime drains its ready actors in a setImmediate. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(() => mock.timers.reset());

interface Recorder {
  readonly log: string[];
  readonly behavior: Behavior<string>;
}

function recorder(name = 'rec'): Recorder {
  const log: string[] = [];
  return {
    log,
    behavior: {
      name,
      create: () => ({
        receive: (m: string) => void log.push(m),
        flush: () => void log.push('|'),
        stop: () => void log.push('stop'),
      }),
    },
  };
}

test('tell delivers nothing synchronously, then every message in order with one flush per batch', async () => {
  const rt = new ActorRuntime();
  const { log, behavior } = recorder();
  const a = rt.spawn(behavior);
  rt.tell(a, 'm1');
  rt.tell(a, 'm2');
  rt.tell(a, 'm3');
  assert.deepEqual(log, []);
  await turn();
  assert.deepEqual(log, ['m1', 'm2', 'm3', '|']);
  rt.tell(a, 'm4');
  await turn();
  assert.deepEqual(log, ['m1', 'm2', 'm3', '|', 'm4', '|']);
  await turn();
  assert.deepEqual(log, ['m1', 'm2', 'm3', '|', 'm4', '|'], 'no flush without messages');
});

test('messages told to one actor in one turn arrive as one batch; each actor flushes its own batch', async () => {
  const rt = new ActorRuntime();
  const one = recorder('one');
  const two = recorder('two');
  const a = rt.spawn(one.behavior);
  const b = rt.spawn(two.behavior);
  for (let i = 0; i < 100; i++) rt.tell(i % 2 === 0 ? a : b, `m${i}`);
  await turn();
  assert.deepEqual(one.log, [...Array.from({ length: 50 }, (_, i) => `m${2 * i}`), '|']);
  assert.deepEqual(two.log, [...Array.from({ length: 50 }, (_, i) => `m${2 * i + 1}`), '|']);
});

test('an actor told by another actor during a drain runs in the same drain', () => {
  const rt = new ActorRuntime();
  const target = recorder();
  const b = rt.spawn(target.behavior);
  const a = rt.spawn<string>({
    name: 'relay',
    create: (ctx) => ({ receive: (m) => ctx.tell(b, `via ${m}`) }),
  });
  rt.tell(a, 'x');
  rt.drain();
  assert.deepEqual(target.log, ['via x', '|']);
});

test('a message an actor tells itself while receiving is delivered in a later batch of the same drain', () => {
  const rt = new ActorRuntime();
  const log: string[] = [];
  const a = rt.spawn<number>({
    name: 'self',
    create: (ctx) => ({
      receive: (n) => {
        log.push(`r${n}`);
        if (n < 3) ctx.tell(ctx.self, n + 1);
      },
      flush: () => void log.push('|'),
    }),
  });
  rt.tell(a, 1);
  rt.drain();
  assert.deepEqual(log, ['r1', '|', 'r2', '|', 'r3', '|']);
});

test('a message to an unknown address is dropped, or sent through the fallback link when there is one', () => {
  const sent: [Address, unknown][] = [];
  const rt = new ActorRuntime({ fallback: { send: (to, msg) => void sent.push([to, msg]) }, firstAddress: 100 });
  const { log, behavior } = recorder();
  const a = rt.spawn(behavior);
  assert.equal(a, 100);
  rt.tell(999, 'lost');
  assert.deepEqual(sent, [[999, 'lost']]);
  const linked: unknown[] = [];
  rt.link(500, { send: (_to, msg) => void linked.push(msg) });
  rt.tell(500, 'remote');
  assert.deepEqual(linked, ['remote']);
  rt.unlink(500);
  rt.tell(500, 'again');
  assert.deepEqual(sent, [[999, 'lost'], [500, 'again']]);
  assert.deepEqual(log, []);
  assert.doesNotThrow(() => new ActorRuntime().tell(12345, 'dead letter'));
});

interface AskMsg {
  readonly replyTo: Address;
  readonly n: number;
}

function doubler(): Behavior<AskMsg> {
  return {
    name: 'doubler',
    create: (ctx: ActorContext) => ({
      receive: (m) => ctx.tell(m.replyTo, m.n < 0 ? new RangeError(`negative ${m.n}`) : m.n * 2),
    }),
  };
}

test('ask resolves with the reply the actor sends to replyTo, and cleans up its temporary address', async () => {
  const rt = new ActorRuntime();
  const a = rt.spawn(doubler());
  let replyTo = 0;
  const answer = await rt.ask<number>(
    a,
    (r) => {
      replyTo = r;
      return { replyTo: r, n: 21 };
    },
    1000,
  );
  assert.equal(answer, 42);
  assert.notEqual(replyTo, a);
  assert.equal(rt.has(replyTo), false);
});

test('ask rejects with the Error an actor replies with', async () => {
  const rt = new ActorRuntime();
  const a = rt.spawn(doubler());
  await assert.rejects(rt.ask<number>(a, (r) => ({ replyTo: r, n: -1 }), 1000), { name: 'RangeError', message: 'negative -1' });
});

test('ask rejects with AskTimeoutError exactly when the timeout passes without a reply', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const rt = new ActorRuntime();
  const { behavior } = recorder('silent');
  const a = rt.spawn(behavior);
  let replyTo = 0;
  const state: { outcome: unknown } = { outcome: 'pending' };
  const outcome = (): unknown => state.outcome;
  rt.ask<string>(
    a,
    (r) => {
      replyTo = r;
      return 'question';
    },
    500,
  ).then(
    (v) => (state.outcome = v),
    (e: unknown) => (state.outcome = e),
  );
  await turn();
  mock.timers.tick(499);
  await turn();
  assert.equal(outcome(), 'pending');
  assert.equal(rt.has(replyTo), true);
  mock.timers.tick(1);
  await turn();
  const settled = outcome();
  assert.ok(settled instanceof AskTimeoutError);
  assert.equal(settled.message, `no reply from actor ${a} within 500 ms`);
  assert.equal(settled.name, 'AskTimeoutError');
  assert.equal(rt.has(replyTo), false, 'the temporary address is gone; a late reply is a dead letter');
  assert.doesNotThrow(() => rt.tell(replyTo, 'late'));
});

// A worker that holds 'hold:*' messages as in-flight work and throws on 'boom*'.
interface Crashy {
  readonly rt: ActorRuntime;
  readonly address: Address;
  readonly instances: { received: string[]; stopped: number }[];
  readonly rejected: [string, string][];
  readonly crashes: [string, string][];
}

function crashy(): Crashy {
  const instances: { received: string[]; stopped: number }[] = [];
  const rejected: [string, string][] = [];
  const crashes: [string, string][] = [];
  const rt = new ActorRuntime({ onCrash: (name, error) => void crashes.push([name, (error as Error).message]) });
  const behavior: Behavior<string> = {
    name: 'worker',
    create: () => {
      const me = { received: [] as string[], stopped: 0 };
      instances.push(me);
      const held: string[] = [];
      return {
        receive: (m) => {
          me.received.push(m);
          if (m.startsWith('boom')) throw new Error(`${m}!`);
          if (m.startsWith('hold')) held.push(m);
        },
        inflight: () => held,
        stop: () => void me.stopped++,
      };
    },
    reject: (m, ctx, reason) => void rejected.push([m, `${ctx.self}:${reason.message}`]),
  };
  const address = rt.spawn(behavior);
  return { rt, address, instances, rejected, crashes };
}

test('an actor that throws: in-flight work and the failed message are rejected, it is stopped and restarted after 10 ms', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { rt, address, instances, rejected, crashes } = crashy();
  rt.tell(address, 'hold:1');
  rt.tell(address, 'hold:2');
  rt.tell(address, 'boom');
  rt.tell(address, 'after');
  await turn();
  assert.deepEqual(instances[0].received, ['hold:1', 'hold:2', 'boom']);
  assert.deepEqual(rejected, [
    ['hold:1', `${address}:boom!`],
    ['hold:2', `${address}:boom!`],
    ['boom', `${address}:boom!`],
  ]);
  assert.deepEqual(crashes, [['worker', 'boom!']]);
  assert.equal(instances[0].stopped, 1);
  assert.equal(instances.length, 1);
  rt.tell(address, 'during back-off');
  await turn();
  mock.timers.tick(9);
  await turn();
  assert.equal(instances.length, 1, 'not restarted before the back-off');
  mock.timers.tick(1);
  assert.equal(instances.length, 2, 'a new instance after 10 ms');
  await turn();
  assert.deepEqual(instances[1].received, ['after', 'during back-off'], 'messages after the crash go to the new instance, in order');
  assert.equal(rt.has(address), true);
  rt.tell(address, 'later');
  await turn();
  assert.deepEqual(instances[1].received, ['after', 'during back-off', 'later']);
  assert.deepEqual(instances[0].received, ['hold:1', 'hold:2', 'boom'], 'the crashed instance gets nothing more');
});

test('repeated crashes back off 10, 20, 40 ms; after 10 s stable the back-off starts again at 10 ms', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { rt, address, instances } = crashy();
  const delays: number[] = [];
  async function crashAndMeasure(): Promise<void> {
    const before = instances.length;
    rt.tell(address, 'boom');
    await turn();
    let waited = 0;
    while (instances.length === before) {
      assert.ok(waited < 10_000, 'restarted at all');
      mock.timers.tick(1);
      waited++;
    }
    delays.push(waited);
  }
  await crashAndMeasure();
  await crashAndMeasure();
  await crashAndMeasure();
  mock.timers.tick(10_001);
  await crashAndMeasure();
  assert.deepEqual(delays, [10, 20, 40, 10]);
  assert.equal(instances.length, 5);
});

test('a throw in flush() rejects in-flight work (no failed message) and keeps later messages', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const rejected: string[] = [];
  const seen: string[][] = [];
  const rt = new ActorRuntime();
  const a = rt.spawn<string>({
    name: 'bad-flush',
    create: () => {
      const got: string[] = [];
      seen.push(got);
      return {
        receive: (m) => void got.push(m),
        flush: () => {
          if (got.includes('x')) throw new Error('flush failed');
        },
        inflight: () => got,
      };
    },
    reject: (m) => void rejected.push(m),
  });
  rt.tell(a, 'w');
  rt.tell(a, 'x');
  await turn();
  assert.deepEqual(rejected, ['w', 'x']);
  rt.tell(a, 'y');
  mock.timers.tick(10);
  await turn();
  assert.deepEqual(seen, [['w', 'x'], ['y']]);
});

test('stop() runs after the messages already queued, then the address is gone and later messages are dropped', async () => {
  const rt = new ActorRuntime();
  const { log, behavior } = recorder();
  const a = rt.spawn(behavior);
  rt.tell(a, 'm1');
  rt.tell(a, 'm2');
  rt.stop(a);
  assert.deepEqual(log, []);
  assert.equal(rt.has(a), true);
  await turn();
  assert.deepEqual(log, ['m1', 'm2', '|', 'stop']);
  assert.equal(rt.has(a), false);
  rt.tell(a, 'm3');
  await turn();
  assert.deepEqual(log, ['m1', 'm2', '|', 'stop']);
});

test('stop() of an idle actor stops it at once; stopping twice or an unknown address is harmless', () => {
  const rt = new ActorRuntime();
  const { log, behavior } = recorder();
  const a = rt.spawn(behavior);
  rt.stop(a);
  assert.deepEqual(log, ['stop']);
  assert.equal(rt.has(a), false);
  rt.stop(a);
  rt.stop(424242);
  assert.deepEqual(log, ['stop']);
});

test('an actor that stops itself while receiving finishes its batch first', () => {
  const rt = new ActorRuntime();
  const log: string[] = [];
  const a = rt.spawn<string>({
    name: 'quitter',
    create: (ctx) => ({
      receive: (m) => {
        log.push(m);
        if (m === 'quit') ctx.runtime.stop(ctx.self);
      },
      flush: () => void log.push('|'),
      stop: () => void log.push('stop'),
    }),
  });
  rt.tell(a, 'quit');
  rt.tell(a, 'after');
  rt.drain();
  assert.deepEqual(log, ['quit', 'after', '|', 'stop']);
  assert.equal(rt.has(a), false);
});

test('an actor stopped while a crash is pending is removed and never restarted', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const { rt, address, instances } = crashy();
  rt.tell(address, 'boom');
  await turn();
  rt.stop(address);
  mock.timers.tick(100);
  await turn();
  assert.equal(instances.length, 1);
  assert.equal(rt.has(address), false);
});

test('an actor whose last batch before stop() crashes is removed and never restarted', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const { rt, address, instances } = crashy();
  rt.tell(address, 'boom');
  rt.stop(address); // queued: the stop completes after the batch
  await turn();
  mock.timers.tick(100);
  await turn();
  assert.equal(instances.length, 1, 'not restarted');
  assert.equal(instances[0].stopped, 1);
  assert.equal(rt.has(address), false, 'the stopped address must be gone, not left half-alive');
});

test('an actor whose behavior says restart: false is stopped for good by a crash, after rejecting its work', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  const rt = new ActorRuntime();
  const log: string[] = [];
  const rejected: string[] = [];
  let created = 0;
  const a = rt.spawn<string>({
    name: 'once',
    restart: false,
    create: () => {
      created++;
      return {
        receive: (m) => {
          if (m === 'boom') throw new Error('boom');
          log.push(m);
        },
        stop: () => void log.push('stop'),
      };
    },
    reject: (m) => void rejected.push(m),
  });
  rt.tell(a, 'ok');
  rt.tell(a, 'boom');
  rt.tell(a, 'after');
  rt.drain();
  assert.deepEqual(log, ['ok', 'stop']);
  assert.deepEqual(rejected, ['boom']);
  assert.equal(rt.has(a), false);
  // Far past any restart back-off: no restart timer was set.
  mock.timers.tick(60_000);
  assert.equal(created, 1);
});

test('mailbox arrays passed from actor to actor between drains keep every actor\'s messages its own and in order', () => {
  const rt = new ActorRuntime();
  const actors = Array.from({ length: 40 }, (_, i) => {
    const received: number[] = [];
    const address = rt.spawn<number>({ name: `a${i}`, create: () => ({ receive: (m) => void received.push(m) }) });
    return { address, received, sent: [] as number[] };
  });
  let seed = 12345;
  const rnd = (k: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % k;
  };
  let next = 0;
  for (let drain = 0; drain < 200; drain++) {
    // Bursts of uneven size, some past the pooled mailbox size, to several actors at once.
    for (let k = rnd(60) + (drain % 50 === 0 ? 600 : 0); k > 0; k--) {
      const a = actors[rnd(actors.length)];
      a.sent.push(next);
      rt.tell(a.address, next++);
    }
    rt.drain();
  }
  for (const a of actors) assert.deepEqual(a.received, a.sent);
});

test('a request told to a stopped actor is answered with an error by onDeadLetter; other dead letters are dropped', async () => {
  const rt = new ActorRuntime({ onDeadLetter: answerDeadRoute });
  const got: unknown[] = [];
  const client = rt.spawn({ name: 'client', create: () => ({ receive: (m: unknown) => void got.push(m) }) });
  const { behavior } = recorder('node');
  const node = rt.spawn(behavior);
  rt.stop(node);
  const batch = takeBatch();
  addToBatch(batch, 7, -1, Buffer.from('*1\r\n$4\r\nPING\r\n'));
  rt.tell(node, { type: 'Route', replyTo: client, batch });
  rt.tell(node, 'not a request');
  await turn();
  assert.equal(got.length, 1);
  const replied = got[0] as { type: string; batch: { count: number; slots: number[]; bytes: Uint8Array[] } };
  assert.equal(replied.type, 'Replied');
  assert.equal(replied.batch.count, 1);
  assert.equal(replied.batch.slots[0], 7);
  assert.equal(Buffer.from(replied.batch.bytes[0]).toString(), Buffer.from(internalError).toString());
});
