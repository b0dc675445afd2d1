// MurmurHash3 x86 32-bit: fast, well spread and byte-exact across platforms,
// so every proxy instance places a key on the same node.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

// Hashes bytes[start..end). Runs for every proxied command, so it reads the
// caller's buffer in place; the caller keeps 0 <= start <= end <= bytes.length.
export function murmur3(bytes: Uint8Array, start: number, end: number, seed = 0): number {
  let h = seed | 0;
  const tail = end - ((end - start) & 3);
  let i = start;
  for (; i < tail; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = end - tail;
  if (rest > 0) {
    let k = bytes[i];
    if (rest > 1) k |= bytes[i + 1] << 8;
    if (rest > 2) k |= bytes[i + 2] << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  h ^= end - start;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const encoder = new TextEncoder();
// Reused for short strings so hashing them allocates nothing.
const scratch = new Uint8Array(1024);

export function hashString(s: string): number {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit, so this bound guarantees the string fits.
  if (s.length * 3 > scratch.length) {
    const bytes = encoder.encode(s);
    return murmur3(bytes, 0, bytes.length);
  }
  const { written } = encoder.encodeInto(s, scratch);
  return murmur3(scratch, 0, written);
}
