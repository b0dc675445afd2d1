// A blob's manifest as INFO-style field:value lines, as BLOB.STAT and `jupiter blob stat` show it.
import type { Manifest } from './layout.js';

export function statLines(manifest: Manifest, newline = '\n'): string {
  const lines = [
    `size:${manifest.size}`,
    `chunks:${manifest.chunks}`,
    `chunk_size:${manifest.chunkSize}`,
    `version:${manifest.version}`,
    `checksum:crc32c:${manifest.checksum.toString(16).padStart(8, '0')}`,
    `created_at:${new Date(manifest.createdAt).toISOString()}`,
  ];
  if (manifest.contentType !== undefined) lines.push(`content_type:${manifest.contentType}`);
  return `${lines.join(newline)}${newline}`;
}
