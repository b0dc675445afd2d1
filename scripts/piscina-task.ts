// The work bench-piscina.ts hands to piscina's threads: CRC-32C of blob chunks, and the ring owner
// of a batch of keys (the migrator's per-batch hashing), as the main thread would do them.
import { crc32c } from '@node-rs/crc32';
import { Ring, type Member } from '../src/ring/ring.js';

const rings = new Map<string, Ring>();

export default function task(job: { kind: 'crc'; chunks: Uint8Array[] } | { kind: 'hash'; members: Member[]; keys: string[] }): number[] {
  if (job.kind === 'crc') return job.chunks.map((c) => crc32c(Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
  const id = JSON.stringify(job.members);
  let ring = rings.get(id);
  if (ring === undefined) rings.set(id, (ring = Ring.build(job.members, 1)));
  return job.keys.map((k) => ring.ownerOfString(k));
}
