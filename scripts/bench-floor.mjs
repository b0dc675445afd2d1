// The smallest forwarding proxy Node can run, to measure the floor jupiter stands on: it parses
// only argument lengths, hashes the second argument (FNV-1a, modulo the node count), pipelines
// every client over one socket per node, and writes once per socket per turn (setImmediate),
// answering in order. No splitting, no errors, no limits, no tracing: not a proxy to use, a
// yardstick for how much of jupiter's CPU per request is Node's sockets rather than jupiter.
//   node scripts/bench-floor.mjs PORT NODE_PORT... (e.g. 6391 7001 7002 7003), then redis-benchmark -p PORT
import net from 'node:net';

const [listenPort, ...nodePorts] = process.argv.slice(2).map(Number);
const dirty = new Set();
let scheduled = false;
const schedule = () => {
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
};

/** End of the complete reply at p (nested arrays included), or -1 when more bytes are needed. */
function replyEnd(b, p) {
  for (let need = 1; need > 0; need--) {
    const cr = b.indexOf(13, p);
    if (cr < 0) return -1;
    const n = Number(b.toString('latin1', p + 1, cr));
    const type = b[p];
    p = cr + 2;
    if (type === 36 && n >= 0) p += n + 2;
    if (type === 42 && n > 0) need += n;
    if (p > b.length) return -1;
  }
  return p;
}

const nodes = nodePorts.map((port) => {
  const node = { socket: net.connect({ port, host: '127.0.0.1', noDelay: true }), out: [], waiting: [], rest: null };
  node.socket.on('data', (chunk) => {
    const b = node.rest ? Buffer.concat([node.rest, chunk]) : chunk;
    let p = 0;
    for (let end = replyEnd(b, p); end > 0; end = replyEnd(b, p)) {
      const client = node.waiting.shift();
      client.replies.push(b.subarray(p, end));
      dirty.add(client);
      p = end;
    }
    node.rest = p < b.length ? b.subarray(p) : null;
    schedule();
  });
  return node;
});

function flush() {
  scheduled = false;
  for (const node of nodes) {
    if (node.out.length > 0) node.socket.write(Buffer.concat(node.out));
    node.out = [];
  }
  for (const client of dirty) client.socket.write(Buffer.concat(client.replies));
  for (const client of dirty) client.replies = [];
  dirty.clear();
}

function fnv1a(b, start, end) {
  let h = 2166136261;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i], 16777619);
  return h >>> 0;
}

/** End of the complete request at p, and where its second argument lies; null when incomplete. */
function request(b, p) {
  let cr = b.indexOf(13, p);
  if (cr < 0) return null;
  const argc = Number(b.toString('latin1', p + 1, cr));
  let q = cr + 2;
  let key = [q, q];
  for (let i = 0; i < argc; i++) {
    cr = b.indexOf(13, q);
    if (cr < 0) return null;
    const start = cr + 2;
    q = start + Number(b.toString('latin1', q + 1, cr)) + 2;
    if (q > b.length) return null;
    if (i === 1) key = [start, q - 2];
  }
  return { end: q, key };
}

net
  .createServer({ noDelay: true }, (socket) => {
    const client = { socket, replies: [], rest: null };
    socket.on('data', (chunk) => {
      const b = client.rest ? Buffer.concat([client.rest, chunk]) : chunk;
      let p = 0;
      for (let r = request(b, p); r !== null; r = request(b, p)) {
        const node = nodes[fnv1a(b, r.key[0], r.key[1]) % nodes.length];
        node.out.push(b.subarray(p, r.end));
        node.waiting.push(client);
        p = r.end;
      }
      client.rest = p < b.length ? b.subarray(p) : null;
      schedule();
    });
    socket.on('error', () => {});
  })
  .listen(listenPort, '127.0.0.1');
