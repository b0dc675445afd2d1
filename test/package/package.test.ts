// The package as a user gets it: `npm pack`, installed into an empty folder, `npx jupiter --help`
// run there, `import ... from 'jupiter'` resolved there, and the examples type-checked against its
// types and run against it over real redis-server nodes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCommand, type CommandRun } from '../helpers/checks.js';
import { ROOT } from '../helpers/cli.js';
import { startRedisNodes, type RedisNode } from '../helpers/redis.js';

const NPM_MS = 300_000;
const TSX = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

function ok(run: CommandRun, what: string): CommandRun {
  assert.equal(run.code, 0, `${what} exited ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
}

describe('the packed package, installed into an empty folder', () => {
  let work: string;
  let app: string;
  let packed: { files: { path: string }[] };
  let nodes: RedisNode[];
  const inApp = (command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CommandRun> =>
    runCommand(command, args, { cwd: app, env: { ...process.env, ...env }, timeoutMs: NPM_MS });

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'jupiter-pack-'));
    app = path.join(work, 'app');
    mkdirSync(app);
    // prepack builds dist first.
    const pack = ok(await runCommand('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, timeoutMs: NPM_MS }), 'npm pack');
    [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
    const tarball = path.join(work, (packed as unknown as { filename: string }).filename);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    ok(await inApp('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']), 'npm install');
    cpSync(path.join(ROOT, 'examples'), path.join(app, 'examples'), { recursive: true });
    nodes = await startRedisNodes(3);
  });
  after(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the built code, its types and the README, and no tests or sources', () => {
    const files = packed.files.map((f) => f.path);
    for (const wanted of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']) assert.ok(files.includes(wanted), wanted);
    assert.deepEqual(files.filter((f) => f.startsWith('test/') || f.startsWith('src/') || f.endsWith('.test.js')), []);
  });

  it('npx jupiter --help prints the usage', async () => {
    const run = ok(await inApp('npx', ['--no-install', 'jupiter', '--help']), 'npx jupiter --help');
    assert.match(run.stdout, /^Usage: jupiter /m);
    assert.match(run.stdout, /\bserve\b.*\n(.*\n)*.*\badmin\b/);
  });

  it("import { createProxy, BlobStore, startInWorker } from 'jupiter' resolves to the package", async () => {
    const run = ok(
      await inApp(process.execPath, ['--input-type=module', '-e', "const j = await import('jupiter'); console.log(typeof j.createProxy, typeof j.BlobStore, typeof j.startInWorker, import.meta.resolve('jupiter'))"]),
      'import',
    );
    assert.match(run.stdout, /^function function function file:\/\/.*\/app\/node_modules\/jupiter\/dist\/index\.js\n$/);
  });

  it('the examples type-check against the package types', async () => {
    const args = [TSC, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
    args.push('--typeRoots', path.join(ROOT, 'node_modules/@types'), '--types', 'node', 'examples/embed.ts', 'examples/blob.ts', 'examples/custom-actor.ts');
    ok(await inApp(process.execPath, args), 'tsc on the examples');
  });

  it('examples/embed.ts prints the ring of its embedded proxy and reads back what it wrote', async () => {
    const run = ok(await inApp(process.execPath, ['--import', TSX, 'examples/embed.ts'], { JUPITER_NODES: nodes.map((n) => n.address).join(',') }), 'embed.ts');
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0], /^jupiter on port \d+, ring epoch 1, stable$/);
    const shares = lines.slice(1, 4).map((l) => Number(/share (\d+\.\d)% up$/.exec(l)?.[1]));
    assert.deepEqual(lines.slice(1, 4).map((l) => l.trim().split(' ')[0]).sort(), nodes.map((n) => n.address).sort());
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 100) < 0.2, `shares ${shares}`);
    assert.equal(lines[4], 'GET example:greeting -> hello from an embedded jupiter');
    assert.equal(lines.length, 5);
  });

  it('examples/blob.ts writes, reads back identical bytes, lists and deletes a 1 MiB blob over the nodes', async () => {
    const run = ok(await inApp(process.execPath, ['--import', TSX, 'examples/blob.ts'], { JUPITER_NODES: nodes.map((n) => n.address).join(',') }), 'blob.ts');
    assert.deepEqual(run.stdout.trim().split('\n'), [
      'wrote 1048576 bytes as 16 chunks of 65536',
      'read back 1048576 bytes, identical',
      'listed: example/report.bin',
      'deleted: true',
    ]);
  });

  it('examples/custom-actor.ts counts requests by key prefix in its own actor, tapped from the proxy, and answers JUPITER PREFIXES', async () => {
    const run = ok(await inApp(process.execPath, ['--import', TSX, 'examples/custom-actor.ts'], { JUPITER_NODES: nodes.map((n) => n.address).join(',') }), 'custom-actor.ts');
    // 30 SETs of user:*, an MGET whose first key is order:1, a GET of order:2; thirty keys reach every node.
    assert.deepEqual(run.stdout.trim().split('\n'), ['order 2', 'user 30', 'nodes 3']);
  });
});
