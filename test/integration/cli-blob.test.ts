// `jupiter blob` run as a user runs it, in a child process, against a running jupiter over real nodes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';

const jupiter = (args: string[], stdin?: Buffer): Promise<CliResult> => runCli(args, { stdin });

describe('jupiter blob', () => {
  let cluster: TestCluster;
  let dir: string;
  let proxy: string[];

  before(async () => {
    cluster = await startCluster(3);
    dir = mkdtempSync(path.join(tmpdir(), 'jupiter-blob-cli-'));
    proxy = ['--proxy', `127.0.0.1:${cluster.port}`];
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  });

  it('put a file, get it back to a file and to stdout, stat it, list it, remove it', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const file = path.join(dir, 'in.bin');
    writeFileSync(file, data);
    assert.deepEqual(await jupiter(['blob', ...proxy, 'put', 'cli/one', file, '--content-type', 'application/octet-stream']), { code: 0, stdout: Buffer.alloc(0), stderr: '' });
    const copy = path.join(dir, 'out.bin');
    assert.equal((await jupiter(['blob', ...proxy, 'get', 'cli/one', '-o', copy])).code, 0);
    assert.deepEqual(readFileSync(copy), data);
    const toStdout = await jupiter(['blob', ...proxy, 'get', 'cli/one']);
    assert.equal(toStdout.code, 0);
    assert.deepEqual(toStdout.stdout, data);
    const stat = (await jupiter(['blob', ...proxy, 'stat', 'cli/one'])).stdout.toString();
    assert.match(stat, new RegExp(`^size:${data.length}\\nchunks:49\\nchunk_size:65536\\nversion:[0-9a-f]{16}\\nchecksum:crc32c:[0-9a-f]{8}\\ncreated_at:\\S+\\ncontent_type:application/octet-stream\\n$`));
    assert.equal((await jupiter(['blob', ...proxy, 'ls', 'cli/'])).stdout.toString(), 'cli/one\n');
    assert.deepEqual(await jupiter(['blob', ...proxy, 'rm', 'cli/one']), { code: 0, stdout: Buffer.alloc(0), stderr: '' });
    assert.equal((await jupiter(['blob', ...proxy, 'ls', 'cli/'])).stdout.toString(), '');
  });

  it("put from stdin with '-'; a blob that is not there exits 1 with one line", async () => {
    const data = Buffer.from('from stdin\n');
    assert.equal((await jupiter(['blob', ...proxy, 'put', 'cli/stdin', '-', '--ttl', '60'], data)).code, 0);
    assert.deepEqual((await jupiter(['blob', ...proxy, 'get', 'cli/stdin'])).stdout, data);
    assert.deepEqual(await jupiter(['blob', ...proxy, 'get', 'cli/none']), { code: 1, stdout: Buffer.alloc(0), stderr: "jupiter: no blob 'cli/none'\n" });
    assert.deepEqual(await jupiter(['blob', ...proxy, 'rm', 'cli/none']), { code: 1, stdout: Buffer.alloc(0), stderr: "jupiter: no blob 'cli/none'\n" });
  });

  it('--nodes goes straight to the nodes with the same ring: what it puts, the proxy reads, and back', async () => {
    const nodes = ['--nodes', cluster.nodes.map((n) => n.address).join(',')];
    const data = randomBytes(300 * 1024);
    assert.equal((await jupiter(['blob', ...nodes, 'put', 'cli/straight', '-'], data)).code, 0);
    assert.deepEqual((await jupiter(['blob', ...proxy, 'get', 'cli/straight'])).stdout, data);
    assert.deepEqual((await jupiter(['blob', ...nodes, 'get', 'cli/straight'])).stdout, data);
    assert.equal((await jupiter(['blob', ...nodes, 'ls', 'cli/str'])).stdout.toString(), 'cli/straight\n');
    assert.deepEqual(await jupiter(['blob', '--nodes', 'nope', 'ls']), {
      code: 2,
      stdout: Buffer.alloc(0),
      stderr: 'jupiter: --nodes nope: expected "host:port", "host:port:weight", "name=host:port[:weight]", {host, port, weight} or {name, address, weight}\n',
    });
  });
});
