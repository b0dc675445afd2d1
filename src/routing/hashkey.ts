// From key bytes to the ring member that owns them, applying {tag} hashing: a key holding
// `{tag}` (non-empty, first '{' and the next '}') hashes by tag only, so related keys stay together.
import type { Ring } from '../ring/ring.js';

export function ownerOfKey(ring: Ring, buf: Uint8Array, start: number, end: number, hashTags: boolean): number {
  if (hashTags) {
    for (let i = start; i < end; i++) {
      if (buf[i] === 123) {
        for (let j = i + 1; j < end; j++) {
          if (buf[j] === 125) {
            if (j > i + 1) return ring.ownerOf(buf, i + 1, j);
            break;
          }
        }
        break;
      }
    }
  }
  return ring.ownerOf(buf, start, end);
}

export function ownerOfKeyString(ring: Ring, key: string, hashTags: boolean): number {
  const bytes = Buffer.from(key, 'latin1');
  return ownerOfKey(ring, bytes, 0, bytes.length, hashTags);
}

/** The bytes a key is hashed by: its {tag} when it has one, else the whole key. */
export function hashedPart(key: Buffer, hashTags: boolean): Buffer {
  if (!hashTags) return key;
  const open = key.indexOf(123);
  if (open < 0) return key;
  const close = key.indexOf(125, open + 1);
  return close > open + 1 ? key.subarray(open + 1, close) : key;
}
