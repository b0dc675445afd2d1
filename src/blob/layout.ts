// Where a blob lives. The manifest is under the blob's name; each chunk is under a key of its own
// that starts with a {hash tag} made of the version and the chunk's index, so the chunks of one
// blob hash apart and spread over every node (whatever braces the name holds, the first tag wins).
// Versions are random, so chunk i of two blobs lands on unrelated nodes too.
import { randomBytes } from 'node:crypto';

export const DEFAULT_CHUNK_SIZE = 64 * 1024;

export interface Manifest {
  readonly version: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly chunks: number;
  /** CRC-32C of each chunk. */
  readonly checksums: readonly number[];
  /** CRC-32C of the whole blob. */
  readonly checksum: number;
  /** When the blob was written (ms since the epoch). */
  readonly createdAt: number;
  readonly contentType?: string;
}

export class BlobLayout {
  constructor(private readonly prefix = 'blob') {}

  manifestKey(name: string): string {
    return `${this.prefix}:${name}`;
  }

  chunkKey(name: string, version: string, index: number): string {
    return `${this.prefix}.chunk:{${version}.${index}}:${name}`;
  }

  chunkKeys(name: string, manifest: Pick<Manifest, 'version' | 'chunks'>, from = 0, to = manifest.chunks): string[] {
    const keys: string[] = [];
    for (let i = from; i < to; i++) keys.push(this.chunkKey(name, manifest.version, i));
    return keys;
  }

  /** A SCAN MATCH pattern for the manifests of names starting with `prefix` (glob characters escaped). */
  manifestPattern(prefix: string): string {
    return `${this.manifestKey(prefix.replace(/[*?[\]\\]/g, '\\$&'))}*`;
  }

  nameOf(manifestKey: string): string {
    return manifestKey.slice(this.prefix.length + 1);
  }
}

export const newVersion = (): string => randomBytes(8).toString('hex');

export const chunkCount = (size: number, chunkSize: number): number => Math.ceil(size / chunkSize);

/**
 * Bytes start..end of a blob of `size` bytes (both included; negative counts from the end), as
 * Redis's GETRANGE takes them, clamped to the blob: [from, to], empty when to < from.
 */
export function byteRange(size: number, start: number, end: number): [number, number] {
  return [Math.max(0, start < 0 ? size + start : start), Math.min(size - 1, end < 0 ? size + end : end)];
}
