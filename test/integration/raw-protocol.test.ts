// The wire protocol byte for byte, over raw TCP sockets: parsing across arbitrary splits, inline
// commands, and Redis's protocol errors (reply, then close).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawClient } from '../helpers/raw.js';
import { createProxy } from '../../src/actors/system.js';

const CLOSE_MS = 2000;

describe('raw protocol', () => {
  let cluster: TestCluster;
  const sockets: RawClient[] = [];

  const connect = async (): Promise<RawClient> => {
    const c = await RawClient.connect(cluster.port);
    sockets.push(c);
    return c;
  };

  /** Sends bytes on a fresh connection; expects exactly `reply`, then the server closing the socket. */
  async function expectErrorThenClose(send: string, reply: string): Promise<void> {
    const c = await connect();
    await c.write(send);
    assert.equal(await c.readLike(reply), reply);
    assert.equal(await c.closedWithin(CLOSE_MS), true, 'the server did not close the connection');
    assert.equal(await c.read(0, 0), '', 'bytes after the error');
  }

  before(async () => {
    cluster = await startCluster(3);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await cluster.stop();
  });

  it('a pipelined buffer of several commands written one byte at a time gets the right replies in order', async () => {
    const c = await connect();
    const request =
      '*3\r\n$3\r\nSET\r\n$4\r\nraw1\r\n$6\r\nval\r\n1\r\n' + // a value holding CRLF
      '*2\r\n$3\r\nGET\r\n$4\r\nraw1\r\n' +
      'PING\r\n' + // inline in the middle
      '*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n' +
      '*2\r\n$4\r\nINCR\r\n$7\r\nrawcntr\r\n' +
      '*4\r\n$4\r\nMGET\r\n$4\r\nraw1\r\n$6\r\nnokey1\r\n$6\r\nnokey2\r\n' +
      '*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n' +
      '*3\r\n$3\r\nDEL\r\n$4\r\nraw1\r\n$7\r\nrawcntr\r\n';
    const expected =
      '+OK\r\n' +
      '$6\r\nval\r\n1\r\n' +
      '+PONG\r\n' +
      '$5\r\nhello\r\n' +
      ':1\r\n' +
      '*3\r\n$6\r\nval\r\n1\r\n$-1\r\n$-1\r\n' +
      "-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n" +
      ':2\r\n';
    await c.writeBytewise(request);
    // A PING after the pipeline: its +PONG must be the very next bytes, so nothing else came.
    await c.write('PING\r\n');
    assert.equal(await c.readLike(expected + '+PONG\r\n'), expected + '+PONG\r\n');
    assert.equal(c.ended, false);
  });

  it('CONFIG GET with glob characters a regular expression chokes on answers an empty list and the connection stays', async () => {
    const c = await connect();
    await c.write('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$1\r\n[\r\n*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$6\r\nsa[v]e\r\nPING\r\n');
    const expected = '*0\r\n*2\r\n$4\r\nsave\r\n$0\r\n\r\n+PONG\r\n';
    assert.equal(await c.readLike(expected), expected);
    assert.equal(c.ended, false);
  });

  it('inline commands work: PING, and SET k "a b" then GET k gives "a b"', async () => {
    const c = await connect();
    await c.write('PING\r\n');
    assert.equal(await c.readLike('+PONG\r\n'), '+PONG\r\n');
    await c.write('SET inline:k "a b"\r\n');
    assert.equal(await c.readLike('+OK\r\n'), '+OK\r\n');
    await c.write('GET inline:k\r\n');
    assert.equal(await c.readLike('$3\r\na b\r\n'), '$3\r\na b\r\n');
    // Escapes in double quotes, and a bare LF as the line end.
    await c.write('ECHO "x\\x41\\ty"\n');
    assert.equal(await c.readLike('$4\r\nxA\ty\r\n'), '$4\r\nxA\ty\r\n');
  });

  it('*abc gets -ERR Protocol error: invalid multibulk length, then the server closes the socket', async () => {
    await expectErrorThenClose('*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n');
  });

  it('*1 $xyz gets -ERR Protocol error: invalid bulk length, then the server closes the socket', async () => {
    await expectErrorThenClose('*1\r\n$xyz\r\n', '-ERR Protocol error: invalid bulk length\r\n');
  });

  it("a multibulk argument without '$' gets -ERR Protocol error: expected '$', got 'f', then close, and nothing is executed", async () => {
    await expectErrorThenClose('*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', "-ERR Protocol error: expected '$', got 'f'\r\n");
    assert.equal(await cluster.client().get('x'), null);
  });

  it('an inline command with an unclosed quote gets -ERR Protocol error: unbalanced quotes in request, then close', async () => {
    await expectErrorThenClose('set "abc test\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n');
  });

  it('*0 and an empty line are ignored and the next PING answers, on a connection that stays open', async () => {
    const c = await connect();
    await c.write('*0\r\n\r\n*0\r\nPING\r\n');
    assert.equal(await c.readLike('+PONG\r\n'), '+PONG\r\n');
    // Nothing answers the empty line: the next bytes are the next PING's +PONG.
    await c.write('\r\n');
    await c.write('*1\r\n$4\r\nPING\r\n');
    assert.equal(await c.readLike('+PONG\r\n'), '+PONG\r\n');
    assert.equal(c.ended, false);
  });

  it('a protocol error after pipelined valid commands: their replies first, then the error, then close', async () => {
    const c = await connect();
    // SET and GET go to a node (replies come later than the locally built error would).
    await c.write('*3\r\n$3\r\nSET\r\n$6\r\npe:key\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$6\r\npe:key\r\n*abc\r\n*1\r\n$4\r\nPING\r\n');
    const expected = '+OK\r\n$5\r\nvalue\r\n-ERR Protocol error: invalid multibulk length\r\n';
    assert.equal(await c.readLike(expected), expected);
    assert.equal(await c.closedWithin(CLOSE_MS), true, 'the server did not close the connection');
    assert.equal(await c.read(0, 0), '', 'the PING after the error was answered');
  });

  it('a bulk length above 512 MiB gets -ERR Protocol error: invalid bulk length, then close', async () => {
    await expectErrorThenClose('*2\r\n$3\r\nGET\r\n$536870913\r\n', '-ERR Protocol error: invalid bulk length\r\n');
  });

  it('a bulk of exactly limits.maxBulkLength is accepted and answered; one byte more is refused', async () => {
    // A proxy with the smallest limit allowed (1 MiB), so the whole payload can be sent; the
    // default (512 MiB) is checked at the parser.
    const limit = 1024 * 1024;
    const small = await createProxy({ port: 0, nodes: cluster.nodes.map((n) => n.address), log: { level: 'silent' }, limits: { maxBulkLength: limit } });
    try {
      const c = await RawClient.connect(small.port);
      sockets.push(c);
      const payload = 'x'.repeat(limit);
      await c.write(`*2\r\n$4\r\nECHO\r\n$${limit}\r\n${payload}\r\n`);
      assert.equal(await c.readLike(`$${limit}\r\n${payload}\r\n`), `$${limit}\r\n${payload}\r\n`);
      const over = await RawClient.connect(small.port);
      sockets.push(over);
      await over.write(`*2\r\n$4\r\nECHO\r\n$${limit + 1}\r\n`);
      assert.equal(await over.readLike('-ERR Protocol error: invalid bulk length\r\n'), '-ERR Protocol error: invalid bulk length\r\n');
      assert.equal(await over.closedWithin(CLOSE_MS), true);
    } finally {
      await small.stop(1000);
    }
  });

  it('QUIT answers +OK after the earlier replies, then closes, and later commands are not answered', async () => {
    const c = await connect();
    await c.write('PING\r\nQUIT\r\nPING\r\n');
    assert.equal(await c.readLike('+PONG\r\n+OK\r\n'), '+PONG\r\n+OK\r\n');
    assert.equal(await c.closedWithin(CLOSE_MS), true, 'the server did not close the connection');
    assert.equal(await c.read(0, 0), '');
  });

  for (const [what, send, reply] of [
    ['QUIT', 'QUIT\r\n', '+OK\r\n'],
    ['a protocol error', '*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
  ]) {
    it(`after ${what} the server closes the connection in both directions: a client that keeps its side open and writes again sees it closed`, async () => {
      const c = await RawClient.connect(cluster.port, { allowHalfOpen: true });
      sockets.push(c);
      await c.write(send);
      assert.equal(await c.readLike(reply), reply);
      assert.equal(await c.closedWithin(CLOSE_MS), true, 'the server did not end its side');
      // A server that only ended its side reads these and says nothing; a closed one resets the
      // connection, which the client learns at its next write.
      const deadline = Date.now() + 10_000;
      while (!c.closed && Date.now() < deadline) {
        c.writeAndForget('PING\r\n');
        await c.fullyClosedWithin(20);
      }
      assert.equal(c.closed, true, 'the server keeps reading after it ended its side');
    });
  }

  it('a multibulk count with a leading zero is refused as Redis does: invalid multibulk length, then close', async () => {
    // Redis parses counts with string2ll, which rejects "01"; jupiter's parser claims to do the same.
    await expectErrorThenClose('*01\r\n$4\r\nPING\r\n', '-ERR Protocol error: invalid multibulk length\r\n');
  });

  it('a bulk length with a leading zero is refused as Redis does: invalid bulk length, then close', async () => {
    await expectErrorThenClose('*1\r\n$04\r\nPING\r\n', '-ERR Protocol error: invalid bulk length\r\n');
  });
});
