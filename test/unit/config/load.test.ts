import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { memberId } from '../../../src/config/schema.js';

const dir = mkdtempSync(path.join(tmpdir(), 'jupiter-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function yamlFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

test('an option nobody sets takes its default', () => {
  const config = loadConfig({ flags: { nodes: ['127.0.0.1:7001'] }, env: {} });
  assert.equal(config.port, 6380);
  assert.equal(config.bind, '127.0.0.1');
  assert.equal(config.nodeActors, 'main');
  assert.equal(config.hashTags, true);
  assert.deepEqual(config.prefixes, { hash: 'hash=', index: '', traceparent: 'traceparent=' });
  assert.equal(config.log.level, 'info');
  assert.equal(config.limits.maxBulkLength, 512 * 1024 * 1024);
  assert.equal(config.backend.requestTimeoutMs, 2000);
});

test('a node is host:port with weight 1, or host:port:weight', () => {
  const config = loadConfig({ flags: { nodes: ['10.0.0.1:7001', '10.0.0.2:7002:3', '[::1]:7003:0.5'] }, env: {} });
  assert.deepEqual(config.nodes, [
    { host: '10.0.0.1', port: 7001, weight: 1 },
    { host: '10.0.0.2', port: 7002, weight: 3 },
    { host: '::1', port: 7003, weight: 0.5 },
  ]);
});

test('a node may carry a name: name=host:port[:weight], {name, host, port} or {name, address, weight}', () => {
  const config = loadConfig({
    flags: {
      nodes: ['cache-1=10.0.0.1:7001', 'cache-2=10.0.0.2:7002:2', { name: 'cache-3', host: '10.0.0.3', port: 7003 }, { name: 'c4', address: '[::1]:7004', weight: 3 }, { address: '10.0.0.5:7005' }],
    },
    env: {},
  });
  assert.deepEqual(config.nodes, [
    { name: 'cache-1', host: '10.0.0.1', port: 7001, weight: 1 },
    { name: 'cache-2', host: '10.0.0.2', port: 7002, weight: 2 },
    { name: 'cache-3', host: '10.0.0.3', port: 7003, weight: 1 },
    { name: 'c4', host: '::1', port: 7004, weight: 3 },
    { host: '10.0.0.5', port: 7005, weight: 1 },
  ]);
  assert.deepEqual(config.nodes.map(memberId), ['cache-1', 'cache-2', 'cache-3', 'c4', '10.0.0.5:7005']);
});

test('a name or an address listed twice is refused, and so is a name that is another node\'s address', () => {
  for (const nodes of [
    ['a=10.0.0.1:1', 'a=10.0.0.2:1'],
    ['a=10.0.0.1:1', 'b=10.0.0.1:1'],
    ['10.0.0.1:1', '10.0.0.1:1=10.0.0.2:1'],
  ]) {
    assert.throws(() => loadConfig({ flags: { nodes }, env: {} }), (e: unknown) => e instanceof ConfigError && /listed more than once|expected/.test(e.problems.join(' ')), JSON.stringify(nodes));
  }
});

test('a node in object form gets weight 1 by default', () => {
  const config = loadConfig({ flags: { nodes: [{ host: 'redis-a', port: 6379 }] }, env: {} });
  assert.deepEqual(config.nodes, [{ host: 'redis-a', port: 6379, weight: 1 }]);
});

test('JUPITER_PORT and JUPITER_NODES apply when neither the file nor a flag sets them', () => {
  const config = loadConfig({ env: { JUPITER_PORT: '7000', JUPITER_NODES: '10.0.0.1:6379, 10.0.0.2:6379:2' } });
  assert.equal(config.port, 7000);
  assert.deepEqual(config.nodes, [
    { host: '10.0.0.1', port: 6379, weight: 1 },
    { host: '10.0.0.2', port: 6379, weight: 2 },
  ]);
});

test('the file overrides the environment, and flags override the file', () => {
  const env = { JUPITER_PORT: '7000', JUPITER_NODES: '10.0.0.1:6379', JUPITER_LOG_LEVEL: 'debug' };
  const file = yamlFile('layers.yaml', 'port: 7100\nnodes: ["10.0.0.9:6379"]\nlog:\n  level: warn\n');

  const fromFile = loadConfig({ file, env });
  assert.equal(fromFile.port, 7100);
  assert.deepEqual(fromFile.nodes, [{ host: '10.0.0.9', port: 6379, weight: 1 }]);
  assert.equal(fromFile.log.level, 'warn');

  const fromFlags = loadConfig({ file, env, flags: { port: 7200 } });
  assert.equal(fromFlags.port, 7200);
  assert.deepEqual(fromFlags.nodes, [{ host: '10.0.0.9', port: 6379, weight: 1 }], 'a flag replaces only the option it sets');
  assert.equal(fromFlags.log.level, 'warn');
});

test('a nested option in the file leaves the defaults of its siblings in place', () => {
  const file = yamlFile('nested.yaml', 'nodes: ["10.0.0.1:6379"]\nlimits:\n  maxClients: 5\n');
  const config = loadConfig({ file, env: {} });
  assert.equal(config.limits.maxClients, 5);
  assert.equal(config.limits.maxInflightPerClient, 10000);
});

test('a file with two mistakes gives exactly one line per mistake, each naming the option', () => {
  const file = yamlFile('two-mistakes.yaml', 'port: "abc"\nnodes: ["nope"]\n');
  const problems = problemsOf(() => loadConfig({ file, env: {} }));
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems[0], /^port: expected number, got "abc" \(in .*two-mistakes\.yaml\)$/);
  assert.match(problems[1], /^nodes\[0\]: expected host:port, host:port:weight or name=host:port\[:weight\], got "nope" \(in .*two-mistakes\.yaml\)$/);
  for (const problem of problems) assert.doesNotMatch(problem, /\n/);
});

test('an unknown key, top level or nested, is named in full as an unknown option', () => {
  const file = yamlFile('unknown.yaml', 'nodes: ["10.0.0.1:6379"]\nprot: 7000\nlimits:\n  maxClent: 5\n');
  const problems = problemsOf(() => loadConfig({ file, env: {} }));
  assert.deepEqual(
    problems.map((p) => p.replace(/ \(in .*\)$/, '')),
    ['limits.maxClent: unknown option', 'prot: unknown option'],
  );
});

test('a problem names where the bad value came from: flag, file or environment variable', () => {
  const file = yamlFile('source.yaml', 'bind: 127.0.0.1\nlog:\n  level: loud\n');
  const problems = problemsOf(() =>
    loadConfig({ file, env: { JUPITER_PORT: 'x', JUPITER_NODES: '10.0.0.1:6379' }, flags: { nodeActors: 'thread' as 'main' } }),
  );
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('port: expected number, got "x" (from JUPITER_PORT)')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('nodeActors:') && p.endsWith('(from --node-actors)')), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('log.level:') && p.includes('"loud"') && p.endsWith(`(in ${file})`)), problems.join('\n'));
});

test('missing nodes is one line that says how to give them', () => {
  const problems = problemsOf(() => loadConfig({ env: {} }));
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^nodes: required; .*--nodes/);
});

test('a node listed twice, or with a weight out of range, is rejected', () => {
  const problems = problemsOf(() => loadConfig({ flags: { nodes: ['10.0.0.1:6379', '10.0.0.2:6379:0', '10.0.0.1:6379'] }, env: {} }));
  assert.deepEqual(problems, [
    'nodes[1].weight: expected number to be >0, got 0 (from --nodes)',
    'nodes[2]: 10.0.0.1:6379 is listed more than once (from --nodes)',
  ]);
});

test('a file that is not YAML, or not a mapping, or missing, is one line naming the file', () => {
  const broken = yamlFile('broken.yaml', 'port: [1\n');
  assert.match(problemsOf(() => loadConfig({ file: broken, env: {} })).join('\n'), /^.*broken\.yaml: not valid YAML \(.*\)$/);
  const list = yamlFile('list.yaml', '- 1\n- 2\n');
  assert.deepEqual(problemsOf(() => loadConfig({ file: list, env: {} })), [`${list}: expected a mapping of options at the top level`]);
  const missing = path.join(dir, 'missing.yaml');
  assert.match(problemsOf(() => loadConfig({ file: missing, env: {} })).join('\n'), /missing\.yaml: cannot read/);
});

test('an empty file is no options at all', () => {
  const empty = yamlFile('empty.yaml', '');
  assert.equal(loadConfig({ file: empty, env: { JUPITER_NODES: '10.0.0.1:6379' } }).port, 6380);
});
