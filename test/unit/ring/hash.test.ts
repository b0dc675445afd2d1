import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashString, murmur3 } from '../../../src/ring/hash.js';

// A second, deliberately different implementation (BigInt arithmetic, whole-key
// little-endian reads) so a shared mistake in the fast path cannot hide.
function reference(bytes: Uint8Array, seed: number): number {
  const M = 0xffffffffn;
  const mul = (a: bigint, b: bigint) => (a * b) & M;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M;
  const c1 = 0xcc9e2d51n;
  const c2 = 0x1b873593n;
  const mixK = (k: bigint) => mul(rotl(mul(k, c1), 15n), c2);
  let h = BigInt(seed >>> 0);
  const blocks = Math.floor(bytes.length / 4);
  for (let b = 0; b < blocks; b++) {
    let k = 0n;
    for (let j = 3; j >= 0; j--) k = (k << 8n) | BigInt(bytes[b * 4 + j]);
    h = (mul(rotl(h ^ mixK(k), 13n), 5n) + 0xe6546b64n) & M;
  }
  let tail = 0n;
  for (let j = bytes.length - 1; j >= blocks * 4; j--) tail = (tail << 8n) | BigInt(bytes[j]);
  if (bytes.length % 4 !== 0) h ^= mixK(tail);
  h ^= BigInt(bytes.length);
  h ^= h >> 16n;
  h = mul(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  return Number(h);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

// Published MurmurHash3_x86_32 vectors.
const vectors: [string, number, number][] = [
  ['', 0, 0],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['hello', 0, 0x248bfa47],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
];

test('murmur3 matches the published MurmurHash3_x86_32 vectors', () => {
  for (const [s, seed, want] of vectors) {
    const bytes = utf8(s);
    assert.equal(murmur3(bytes, 0, bytes.length, seed), want, `${JSON.stringify(s)} seed ${seed}`);
    assert.equal(reference(bytes, seed), want, `reference: ${JSON.stringify(s)} seed ${seed}`);
  }
});

test('murmur3 over bytes[start..end) equals the independent implementation on that slice', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (bytes, x, y, seed) => {
      const start = x % (bytes.length + 1);
      const end = start + (y % (bytes.length - start + 1));
      const got = murmur3(bytes, start, end, seed);
      assert.ok(Number.isInteger(got) && got >= 0 && got <= 0xffffffff);
      assert.equal(got, reference(bytes.slice(start, end), seed));
    }),
    { numRuns: 2000 },
  );
});

test('hashString hashes the UTF-8 bytes of the string, short or long', () => {
  for (const s of ['hello', 'clé:ü€😀', '\ud800 lone surrogate', 'x'.repeat(5000) + '€']) {
    const bytes = utf8(s);
    assert.equal(hashString(s), murmur3(bytes, 0, bytes.length));
  }
  assert.equal(hashString('hello'), 0x248bfa47);
});
