// INFO: jupiter's own sections, plus the keyspace summed over every node and the lowest node
// version (clients read redis_version to choose features).
import { encodeCommand, verbatim } from '../../protocol/encode.js';
import { decodeReply } from '../../protocol/decode.js';
import { toEveryNode } from './fanout.js';
import type { Dispatch, Shape } from '../dispatch.js';

const ASK_NODES = encodeCommand(['INFO', 'server', 'keyspace']);
const ALL = new Set(['all', 'default', 'everything']);

function field(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim();
}

function lowestVersion(versions: string[]): string {
  const key = (v: string): number[] => v.split('.').map(Number);
  return versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  })[0];
}

function render(d: Dispatch, sections: Set<string>, texts: string[], unavailable: number): string {
  const want = (s: string): boolean => sections.size === 0 || [...sections].some((x) => x === s || ALL.has(x));
  let keys = 0;
  let expires = 0;
  for (const t of texts) {
    const db0 = /^db0:keys=(\d+),expires=(\d+)/m.exec(t);
    if (db0) {
      keys += Number(db0[1]);
      expires += Number(db0[2]);
    }
  }
  const versions = texts.map((t) => field(t, 'redis_version')).filter((v): v is string => v !== undefined);
  const out: string[] = [];
  if (want('server')) {
    out.push(
      '# Server',
      `redis_version:${versions.length > 0 ? lowestVersion(versions) : '7.0.0'}`,
      `jupiter_version:${d.proxy.version}`,
      'redis_mode:standalone',
      `process_id:${process.pid}`,
      `tcp_port:${d.proxy.port}`,
      `uptime_in_seconds:${Math.floor((Date.now() - d.proxy.startedAt) / 1000)}`,
      `nodes:${d.ring.members.length}`,
      `nodes_unavailable:${unavailable}`,
      `ring_epoch:${d.ring.epoch}`,
      '',
    );
  }
  if (want('clients')) out.push('# Clients', `connected_clients:${d.proxy.connectedClients()}`, '');
  if (want('keyspace')) {
    out.push('# Keyspace');
    if (keys > 0) out.push(`db0:keys=${keys},expires=${expires},avg_ttl=0`);
    out.push('');
  }
  return out.join('\r\n');
}

export const info: Shape = {
  dispatch(req, _spec, d) {
    const sections = new Set<string>();
    for (let i = 1; i < req.argc; i++) sections.add(req.argString(i).toLowerCase());
    // Best effort: a node that is down leaves its keys out of the sums but does not fail INFO,
    // which clients send when they connect.
    toEveryNode(d, ASK_NODES, (replies) => {
      const texts: string[] = [];
      for (const r of replies) {
        const v = decodeReply(r);
        if (v.kind === 'bulk' && v.value !== null) texts.push(v.value.toString('latin1'));
      }
      return verbatim(render(d, sections, texts, replies.length - texts.length), d.client.resp3);
    });
  },
};
