// A blob of 1 MiB written as 64 KiB chunks spread over every node, read back and checked, then
// deleted: straight to the nodes in JUPITER_NODES with jupiter's own ring, no proxy needed.
//   JUPITER_NODES=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 node --import tsx examples/blob.ts
import { randomBytes } from 'node:crypto';
import { BlobStore } from 'jupiter';

const nodes = (process.env.JUPITER_NODES ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003').split(',');
const blobs = BlobStore.overNodes(nodes);

const data = randomBytes(1024 * 1024);
const manifest = await blobs.writeAll('example/report.bin', data, { contentType: 'application/octet-stream' });
console.log(`wrote ${manifest.size} bytes as ${manifest.chunks} chunks of ${manifest.chunkSize}`);
const back = await blobs.readAll('example/report.bin');
console.log(`read back ${back?.length} bytes, ${back?.equals(data) ? 'identical' : 'DIFFERENT'}`);
console.log(`listed: ${(await blobs.list('example/')).join(', ')}`);
console.log(`deleted: ${await blobs.delete('example/report.bin')}`);
blobs.close();
