// Helpers for handoff tests: wait for a proxy's membership state, and check that every key is on
// the node the ring names and on no other, asking each node directly.
import type { Redis } from 'ioredis';
import { Ring } from '../../src/ring/ring.js';
import { ownerOfKeyString } from '../../src/routing/hashkey.js';

/** JUPITER STATUS as fields. */
export async function status(client: Redis): Promise<Record<string, string>> {
  const text = (await client.call('JUPITER', 'STATUS')) as string;
  return Object.fromEntries(
    text
      .split('\r\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
  );
}

/** Resolves once the proxy says state:stable at an epoch of at least `epoch`; polls until `timeoutMs`. */
export async function waitStable(client: Redis, epoch: number, timeoutMs = 120_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(client);
    if (s.state === 'stable' && Number(s.epoch) >= epoch) return s;
    if (Date.now() > deadline) throw new Error(`not stable at epoch ${epoch} within ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The ring the proxy's JUPITER NODES describes. */
export async function ringOf(client: Redis): Promise<{ ring: Ring; addressOf: Map<string, string> }> {
  const text = (await client.call('JUPITER', 'NODES')) as string;
  const members = text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, ...fields] = line.split(' ');
      const f = Object.fromEntries(fields.map((x) => x.split('=')));
      return { id, address: f.address, weight: Number(f.weight) };
    });
  return { ring: Ring.build(members, 1), addressOf: new Map(members.map((m) => [m.id, m.address])) };
}

/**
 * For each key: which nodes hold it, by asking every node in `direct` (address to client). Returns
 * the keys held by a node other than their owner, or missing from their owner while `present` says
 * they should be there (every key, unless told otherwise).
 */
export async function misplaced(
  keys: readonly string[],
  ring: Ring,
  addressOf: Map<string, string>,
  direct: Map<string, Redis>,
  present: (key: string) => boolean = () => true,
): Promise<string[]> {
  const bad: string[] = [];
  const held = new Map<string, boolean[]>();
  for (const [address, client] of direct) {
    const pipeline = client.pipeline();
    for (const k of keys) pipeline.exists(k);
    const results = (await pipeline.exec())!.map(([, n]) => n === 1);
    held.set(address, results);
  }
  keys.forEach((k, i) => {
    const owner = addressOf.get(ring.members[ownerOfKeyString(ring, k, true)].id)!;
    for (const [address, results] of held) {
      if (results[i] ? address !== owner : address === owner && present(k)) {
        bad.push(`${k}: ${results[i] ? 'on' : 'missing from'} ${address} (owner ${owner})`);
        return;
      }
    }
  });
  return bad;
}
