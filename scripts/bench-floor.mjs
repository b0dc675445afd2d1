// The smallest forwarding proxy Node can run, to measure the floor jupiter stands on: it parses
// only argument lengths, hashes the second argument (FNV-1a, modulo the node count), pipelines
// every client over one socket per node, and writes once per socket per turn (setImmediate).
// MGET and MSET are split by node and their replies merged, as jupiter and twemproxy do, so a
// multi-key line compares the same work. Replies go out in the order they complete, which is the
// request order with one request in flight per client (redis-benchmark only counts them). No
// errors, no limits, no tracing: not a proxy to use, a yardstick for how much of jupiter's CPU
// per request is Node's sockets rather than jupiter.
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
      const waiter = node.waiting.shift();
      if (waiter.fragment === undefined) {
        waiter.replies.push(b.subarray(p, end));
        dirty.add(waiter);
      } else partDone(waiter, b.subarray(p, end));
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

// Where each argument's `$<length>` header starts and its bytes end, for the request just parsed.
const heads = [];
const ends = [];

/** End of the complete request at p, and where its second argument lies; null when incomplete. */
function request(b, p) {
  let cr = b.indexOf(13, p);
  if (cr < 0) return null;
  const argc = Number(b.toString('latin1', p + 1, cr));
  let q = cr + 2;
  let key = [q, q];
  for (let i = 0; i < argc; i++) {
    heads[i] = q;
    cr = b.indexOf(13, q);
    if (cr < 0) return null;
    const start = cr + 2;
    q = start + Number(b.toString('latin1', q + 1, cr)) + 2;
    if (q > b.length) return null;
    ends[i] = q;
    if (i === 1) key = [start, q - 2];
  }
  return { end: q, key, argc };
}

/** 1 for MGET, 2 for MSET (arguments per key), 0 for anything else. */
function splitStep(b, r) {
  if (r.argc < 3 || ends[0] - heads[0] !== 10) return 0;
  const name = b.toString('latin1', ends[0] - 6, ends[0] - 2).toLowerCase();
  return name === 'mget' ? 1 : name === 'mset' ? 2 : 0;
}

/**
 * Sends each node its keys of a split MGET/MSET, as views of the request behind a new array header;
 * the merged reply goes out once all have answered.
 */
function split(b, r, step, client) {
  const groups = new Array(nodes.length).fill(null);
  for (let i = 1; i < r.argc; i += step) {
    const owner = fnv1a(b, b.indexOf(10, heads[i]) + 1, ends[i] - 2) % nodes.length;
    (groups[owner] ??= []).push(i);
  }
  const fragment = { left: 0, parts: [], order: [], step, keys: (r.argc - 1) / step };
  groups.forEach((args, owner) => {
    if (args === null) return;
    const out = nodes[owner].out;
    out.push(Buffer.from(`*${1 + args.length * step}\r\n`), b.subarray(heads[0], ends[0]));
    for (const i of args) out.push(b.subarray(heads[i], ends[i + step - 1]));
    nodes[owner].waiting.push({ fragment, client, part: fragment.order.length });
    fragment.order.push(args);
    fragment.left++;
  });
}

/** One part's reply (a view of the node's read): once every part has answered, the merged reply joins the client's. */
function partDone(waiter, reply) {
  const { fragment, client } = waiter;
  fragment.parts[waiter.part] = reply;
  if (--fragment.left > 0) return;
  if (fragment.step === 2) client.replies.push(OK);
  else {
    // Each part is an array of its keys' values: put them back at the keys' places.
    const values = new Array(fragment.keys);
    fragment.order.forEach((args, part) => {
      const r = fragment.parts[part];
      let p = r.indexOf(10) + 1;
      for (const i of args) {
        const end = replyEnd(r, p);
        values[i - 1] = r.subarray(p, end);
        p = end;
      }
    });
    client.replies.push(Buffer.from(`*${fragment.keys}\r\n`), ...values);
  }
  dirty.add(client);
}

const OK = Buffer.from('+OK\r\n');

net
  .createServer({ noDelay: true }, (socket) => {
    const client = { socket, replies: [], rest: null, fragment: undefined };
    socket.on('data', (chunk) => {
      const b = client.rest ? Buffer.concat([client.rest, chunk]) : chunk;
      let p = 0;
      for (let r = request(b, p); r !== null; r = request(b, p)) {
        const step = splitStep(b, r);
        if (step > 0) split(b, r, step, client);
        else {
          const node = nodes[fnv1a(b, r.key[0], r.key[1]) % nodes.length];
          node.out.push(b.subarray(p, r.end));
          node.waiting.push(client);
        }
        p = r.end;
      }
      client.rest = p < b.length ? b.subarray(p) : null;
      schedule();
    });
    socket.on('error', () => {});
  })
  .listen(listenPort, '127.0.0.1');
