// TLS on both sides: redis-server nodes listening only on TLS and asking for client certificates
// (certificates made for the run by openssl), jupiter connecting to them with backend.tls, and
// clients reaching jupiter over TLS on its own port.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { createProxy, type Proxy } from '../../src/actors/system.js';
import { startRedis, type RedisNode } from '../helpers/redis.js';
import { nodeActorsPlacement } from '../helpers/cluster.js';
import { freePort } from '../helpers/ports.js';
import { makeCerts, type TestCerts } from '../helpers/certs.js';
import { waitStable } from '../helpers/handoff.js';
import { rejectionOf } from '../helpers/placement.js';

describe('TLS to the nodes and on the client port', () => {
  let certs: TestCerts;
  let nodes: RedisNode[];
  let extra: RedisNode;
  let proxy: Proxy;
  let client: Redis;
  const others: (Redis | Proxy)[] = [];

  /** A node that speaks only TLS and wants a client certificate signed by the test CA. */
  async function tlsNode(): Promise<RedisNode> {
    const port = await freePort();
    return startRedis(port, [
      '--port', '0', '--tls-port', String(port),
      '--tls-cert-file', certs.server.cert, '--tls-key-file', certs.server.key,
      '--tls-ca-cert-file', certs.ca, '--tls-auth-clients', 'yes',
    ]);
  }

  before(async () => {
    certs = makeCerts();
    [extra, ...nodes] = await Promise.all([0, 1, 2, 3].map(() => tlsNode()));
    proxy = await createProxy({
      port: 0,
      nodes: nodes.map((n) => n.address),
      nodeActors: nodeActorsPlacement,
      log: { level: 'silent' },
      membership: { heartbeatMs: 100 },
      backend: { tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key } },
      tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca, clientCertificates: true },
    });
    client = new Redis({ port: proxy.port, maxRetriesPerRequest: 1, tls: { ca: readFileSync(certs.ca), cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) } });
  });
  after(async () => {
    client.disconnect();
    for (const o of others) 'disconnect' in o ? o.disconnect() : await o.stop(500);
    await proxy.stop(1000);
    await Promise.all([...nodes, extra].map((n) => n.stop()));
    certs.remove();
  });

  it('serves keys over TLS from nodes reached over TLS, on every node', async () => {
    assert.equal(await proxy.ready(10_000), true);
    const keys = Array.from({ length: 300 }, (_, i) => `tls:${i}`);
    assert.equal(await client.mset(...keys.flatMap((k) => [k, `v-${k}`])), 'OK');
    assert.deepEqual(await client.mget(...keys.slice(0, 30)), keys.slice(0, 30).map((k) => `v-${k}`));
    const tlsOptions = { ca: readFileSync(certs.ca), cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) };
    const direct = nodes.map((n) => new Redis({ port: n.port, tls: tlsOptions }));
    others.push(...direct);
    const sizes = await Promise.all(direct.map((d) => d.dbsize()));
    assert.ok(sizes.every((s) => s > 0), `every node holds keys: ${sizes}`);
  });

  it('hands keys off to a TLS node added while serving', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `tlh:${i}`);
    await client.mset(...keys.flatMap((k) => [k, `v-${k}`]));
    assert.equal(await client.call('JUPITER', 'ADDNODE', extra.address), 'OK');
    const s = await waitStable(client, 2);
    assert.ok(Number(s.keys_moved) > 100, `keys_moved ${s.keys_moved}`);
    assert.deepEqual(await client.mget(...keys), keys.map((k) => `v-${k}`));
  });

  it('refuses a client without a certificate, and one that does not trust jupiter', async () => {
    const handshake = (options: tls.ConnectionOptions): Promise<string> =>
      new Promise((resolve) => {
        const socket = tls.connect({ port: proxy.port, host: '127.0.0.1', ...options }, () => {
          socket.write('*1\r\n$4\r\nPING\r\n');
        });
        let got = '';
        socket.setEncoding('latin1').on('data', (d: string) => (got += d));
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(`error: ${e.code ?? e.message}`));
        socket.on('close', () => resolve(got === '' ? 'closed' : got));
      });
    assert.notEqual(await handshake({ ca: readFileSync(certs.ca) }), '+PONG\r\n', 'no client certificate');
    assert.match(await handshake({ ca: readFileSync(certs.otherCa), cert: readFileSync(certs.client.cert), key: readFileSync(certs.client.key) }), /^error: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
  });

  it('a proxy that does not trust the nodes reports them down with the certificate error', async () => {
    const wrong = await createProxy({
      port: 0,
      nodes: [nodes[0].address],
      log: { level: 'silent' },
      backend: { connectTimeoutMs: 300, reconnectMaxDelayMs: 200, tls: { ca: certs.otherCa, cert: certs.client.cert, key: certs.client.key } },
    });
    others.push(wrong);
    const c = new Redis({ port: wrong.port, maxRetriesPerRequest: 0 });
    others.push(c);
    assert.match((await rejectionOf(c.get('k'), 10_000)).message, /^ERR node 127\.0\.0\.1:\d+ unavailable$/);
    assert.equal(await wrong.ready(300), false);
    assert.match((await wrong.status()).nodes[0].reason ?? '', /connection failed: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/);
  });
});
