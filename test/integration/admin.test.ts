// The JUPITER admin command against a running proxy over real nodes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { createProxy } from '../../src/actors/system.js';
import { RawClient } from '../helpers/raw.js';

describe('JUPITER admin commands', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster(3);
  });
  after(() => cluster.stop());

  it('JUPITER NODES lists every member with its weight, state and share of the keys; STATUS says stable at epoch 1', async () => {
    const client = cluster.client();
    // The NodeActors report up once connected.
    let lines: string[];
    for (;;) {
      lines = String(await client.call('JUPITER', 'NODES')).trim().split('\n');
      if (lines.every((l) => l.includes('state=up'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      cluster.nodes.map((n) => n.address).sort(),
    );
    let total = 0;
    for (const line of lines) {
      const m = /^(\S+) address=(\S+) weight=1 state=up share=(0\.\d{4})$/.exec(line);
      assert.ok(m, line);
      assert.equal(m[2], m[1], 'an unnamed node is known by its address');
      total += Number(m[3]);
    }
    assert.ok(Math.abs(total - 1) < 0.001, `shares sum to ${total}`);
    assert.match(String(await client.call('JUPITER', 'STATUS')), /^# Membership\r\nstate:stable\r\nepoch:1\r\nmembers:3\r\nmembers_up:3\r\nproxies:1\r\nchange:\r\nstarted_at:\r\nkeys_moved:0\r\nkeys_total_estimate:0\r\n/);
  });

  it('behind admin.password, JUPITER needs JUPITER AUTH first, per connection; switched off, it says so', async () => {
    const nodes = cluster.nodes.map((n) => n.address);
    const locked = await createProxy({ port: 0, nodes, log: { level: 'silent' }, admin: { password: 'pw' } });
    const off = await createProxy({ port: 0, nodes, log: { level: 'silent' }, admin: { enabled: false } });
    const raw: RawClient[] = [];
    try {
      const c = await RawClient.connect(locked.port);
      raw.push(c);
      await c.write('JUPITER STATUS\r\nJUPITER AUTH nope\r\nJUPITER AUTH pw\r\nJUPITER STATUS\r\n');
      const head =
        '-NOAUTH JUPITER admin commands need JUPITER AUTH <admin.password> on this connection first\r\n' +
        '-WRONGPASS invalid username-password pair or user is disabled.\r\n' +
        '+OK\r\n';
      // The STATUS after AUTH: a bulk reply of the membership lines (members_up depends on how far
      // this new proxy's links are, so only its start is compared).
      const got = await c.read(head.length + 60);
      assert.ok(got.startsWith(head), got);
      assert.match(got.slice(head.length), /^\$\d+\r\n# Membership\r\nstate:stable\r\nepoch:1\r\nmembers:3\r\n/);
      const other = await RawClient.connect(locked.port);
      raw.push(other);
      await other.write('JUPITER NODES\r\n');
      assert.equal(await other.readLike(head.split('\r\n')[0] + '\r\n'), head.split('\r\n')[0] + '\r\n');
      const closed = await RawClient.connect(off.port);
      raw.push(closed);
      await closed.write('JUPITER NODES\r\n');
      const refusal = '-ERR JUPITER admin commands are switched off on this proxy (admin.enabled: false)\r\n';
      assert.equal(await closed.readLike(refusal), refusal);
    } finally {
      for (const c of raw) c.destroy();
      await locked.stop(1000);
      await off.stop(1000);
    }
  });
});
