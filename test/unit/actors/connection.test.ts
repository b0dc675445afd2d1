// A ConnectionActor over a real socket pair, with a router that fails: a bug met while routing
// one request answers that request with an error, and the connection goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ActorRuntime } from '../../../src/actors/runtime.js';
import { connectionBehavior } from '../../../src/actors/connection.js';
import { Ring } from '../../../src/ring/ring.js';
import { Router } from '../../../src/routing/router.js';
import { defaultPrefixes } from '../../../src/routing/options.js';
import { defaultParserLimits } from '../../../src/protocol/parser.js';
import type { RequestView } from '../../../src/routing/request.js';
import type { Dispatch } from '../../../src/routing/dispatch.js';
import { RawClient } from '../../helpers/raw.js';import { Extensions } from '../../../src/actors/extensions.js';
import { Access } from '../../../src/security/access.js';


test('an exception while routing one request answers it with -ERR jupiter internal error, logs it, and the next request is served', async () => {
  const failures: unknown[] = [];
  const real = new Router({ prefixes: defaultPrefixes });
  // ECHO boom throws inside routing, as a bug in a request shape would; everything else routes as usual.
  const router = {
    counts: real.counts,
    route(req: RequestView, d: Dispatch) {
      if (req.argc === 2 && req.argString(1) === 'boom') throw new Error('a bug in routing');
      return real.route(req, d);
    },
  } as unknown as Router;
  const runtime = new ActorRuntime();
  const server = net.createServer((socket) => {
    runtime.spawn(
      connectionBehavior({
        id: 1,
        socket,
        snapshot: { ring: Ring.build([{ id: 'n:1', weight: 1 }], 1), nodes: [], ejected: null },
        router,
        hashTags: true,
        limits: { parser: defaultParserLimits, maxInflight: 100, maxOutputBuffer: 0, idleTimeoutSeconds: 0 },
        proxy: { version: '0', admin: { enabled: true }, startedAt: 0, port: 0, membershipDatabase: 15, limits: { maxClients: 10, idleTimeoutSeconds: 0 }, onDown: 'error', connectedClients: () => 1, clients: () => [], extensions: new Extensions(), access: new Access({ users: [], deny: [] }) },
        membership: 0,
        blobs: 0,
        pubsub: 0,
        tracing: null,
        routingFailed: (error) => failures.push(error),
        closed: () => {},
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await RawClient.connect((server.address() as net.AddressInfo).port);
  try {
    await client.write('PING\r\nECHO boom\r\nECHO fine\r\n');
    const expected = '+PONG\r\n-ERR jupiter internal error, the request was not completed\r\n$4\r\nfine\r\n';
    assert.equal(await client.readLike(expected), expected);
    assert.equal(failures.length, 1);
    assert.equal((failures[0] as Error).message, 'a bug in routing');
    assert.equal(client.ended, false);
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
