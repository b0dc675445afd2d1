// INFO: what one Redis holding all the nodes would report, in the field names monitoring tools
// (Prometheus's redis_exporter among them) read. jupiter's own figures where it is the server
// (process, clients, CPU), the nodes' figures summed where they add up (memory, stats, keyspace),
// the first node's where they describe it (persistence, replication), and a jupiter section.
import { encodeCommand, verbatim } from '../../protocol/encode.js';
import { decodeReply } from '../../protocol/decode.js';
import { toEveryNode } from './fanout.js';
import type { Dispatch, Shape } from '../dispatch.js';

const ASK_NODES = encodeCommand(['INFO', 'everything']);
const EVERY = new Set(['all', 'everything']);
/** What INFO with no section (or `default`) shows, in order. */
const DEFAULT = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'keyspace', 'jupiter'];

/** One node's INFO text as sections of fields. */
type NodeInfo = Map<string, Map<string, string>>;

function parse(text: string): NodeInfo {
  const sections: NodeInfo = new Map();
  let current = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) sections.set(line.slice(2).toLowerCase(), (current = new Map()));
    else if (line.includes(':')) current.set(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1));
  }
  return sections;
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** Every node's numeric fields of a section, summed (the first node's order). */
function summed(nodes: readonly NodeInfo[], section: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of nodes) {
    for (const [name, value] of node.get(section) ?? []) {
      if (!NUMBER.test(value)) continue;
      const sum = Number(out.get(name) ?? 0) + Number(value);
      out.set(name, Number.isInteger(sum) ? String(sum) : sum.toFixed(2));
    }
  }
  return out;
}

function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value}B` : `${value.toFixed(2)}${units[unit]}`;
}

function lowestVersion(versions: string[]): string {
  const key = (v: string): number[] => v.split('.').map(Number);
  return versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  })[0];
}

function render(d: Dispatch, asked: Set<string>, nodes: NodeInfo[], unavailable: number): string {
  const wanted = asked.size === 0 || asked.has('default') ? DEFAULT : [...asked].some((s) => EVERY.has(s)) ? [...DEFAULT, 'commandstats', 'errorstats'] : [...asked];
  const sections = new Map<string, [string, Map<string, string> | string[]]>();
  const first = nodes[0] ?? new Map();
  const fromFirst = (name: string): Map<string, string> => first.get(name) ?? new Map();
  const versions = nodes.map((n) => n.get('server')?.get('redis_version')).filter((v): v is string => v !== undefined);
  const up = Math.floor((Date.now() - d.proxy.startedAt) / 1000);
  sections.set('server', [
    'Server',
    new Map([
      ['redis_version', versions.length > 0 ? lowestVersion(versions) : '7.0.0'],
      ['jupiter_version', d.proxy.version],
      ['redis_mode', 'standalone'],
      ['os', `${process.platform} ${process.arch}`],
      ['arch_bits', process.arch.endsWith('64') ? '64' : '32'],
      ['process_id', String(process.pid)],
      ['tcp_port', String(d.proxy.port)],
      ['uptime_in_seconds', String(up)],
      ['uptime_in_days', String(Math.floor(up / 86400))],
    ]),
  ]);
  sections.set('clients', [
    'Clients',
    new Map([
      ['connected_clients', String(d.proxy.connectedClients())],
      ['maxclients', String(d.proxy.limits.maxClients)],
      // The nodes' blocked clients are jupiter's leased connections, each one client's.
      ['blocked_clients', summed(nodes, 'clients').get('blocked_clients') ?? '0'],
    ]),
  ]);
  const memory = summed(nodes, 'memory');
  for (const name of ['used_memory', 'used_memory_rss', 'used_memory_peak', 'maxmemory']) {
    if (memory.has(name)) memory.set(`${name}_human`, human(Number(memory.get(name))));
  }
  if (memory.has('used_memory') && memory.has('used_memory_rss') && Number(memory.get('used_memory')) > 0) {
    memory.set('mem_fragmentation_ratio', (Number(memory.get('used_memory_rss')) / Number(memory.get('used_memory'))).toFixed(2));
  }
  memory.set('jupiter_used_memory_rss', String(process.memoryUsage().rss));
  sections.set('memory', ['Memory', memory]);
  const persistence = new Map(fromFirst('persistence'));
  const saves = nodes.map((n) => Number(n.get('persistence')?.get('rdb_last_save_time'))).filter((t) => !Number.isNaN(t));
  if (saves.length > 0) persistence.set('rdb_last_save_time', String(Math.min(...saves)));
  const changes = summed(nodes, 'persistence').get('rdb_changes_since_last_save');
  if (changes !== undefined) persistence.set('rdb_changes_since_last_save', changes);
  sections.set('persistence', ['Persistence', persistence]);
  sections.set('stats', ['Stats', summed(nodes, 'stats')]);
  const replication = new Map(fromFirst('replication'));
  replication.set('role', 'master');
  replication.set('connected_slaves', summed(nodes, 'replication').get('connected_slaves') ?? '0');
  sections.set('replication', ['Replication', replication]);
  const cpu = process.cpuUsage();
  sections.set('cpu', [
    'CPU',
    new Map([
      ['used_cpu_sys', (cpu.system / 1e6).toFixed(6)],
      ['used_cpu_user', (cpu.user / 1e6).toFixed(6)],
      ['used_cpu_sys_children', '0.000000'],
      ['used_cpu_user_children', '0.000000'],
    ]),
  ]);
  sections.set('commandstats', ['Commandstats', summedStats(nodes, 'commandstats')]);
  sections.set('errorstats', ['Errorstats', summedStats(nodes, 'errorstats')]);
  sections.set('keyspace', ['Keyspace', keyspace(nodes)]);
  sections.set('jupiter', [
    'Jupiter',
    new Map([
      ['nodes', String(d.ring.members.length)],
      ['nodes_unavailable', String(unavailable)],
      ['ring_epoch', String(d.ring.epoch)],
      ...d.ring.members.map((m, i) => [`node${i}`, `id=${m.id},weight=${m.weight}`] as [string, string]),
      ['ejected', [...(d.ejected?.ids ?? [])].join(',')],
    ]),
  ]);
  const out: string[] = [];
  for (const name of wanted) {
    const section = sections.get(name);
    if (section === undefined) continue;
    const [title, fields] = section;
    out.push(`# ${title}`, ...[...fields].map(([k, v]) => `${k}:${v}`), '');
  }
  return out.join('\r\n');
}

/** cmdstat_get:calls=10,usec=20,... summed field by field over the nodes. */
function summedStats(nodes: readonly NodeInfo[], section: string): Map<string, string> {
  const out = new Map<string, Map<string, number>>();
  for (const node of nodes) {
    for (const [name, value] of node.get(section) ?? []) {
      const fields = out.get(name) ?? new Map<string, number>();
      for (const pair of value.split(',')) {
        const [k, v] = pair.split('=');
        if (NUMBER.test(v ?? '')) fields.set(k, (fields.get(k) ?? 0) + Number(v));
      }
      out.set(name, fields);
    }
  }
  return new Map(
    [...out].map(([name, fields]) => {
      const calls = fields.get('calls');
      if (calls !== undefined && fields.has('usec')) fields.set('usec_per_call', calls === 0 ? 0 : Number((fields.get('usec')! / calls).toFixed(2)));
      return [name, [...fields].map(([k, v]) => `${k}=${v}`).join(',')];
    }),
  );
}

/** The client's one database, db0, summed over the nodes (jupiter's own data lives in another). */
function keyspace(nodes: readonly NodeInfo[]): Map<string, string> {
  let keys = 0;
  let expires = 0;
  for (const node of nodes) {
    const db0 = /^keys=(\d+),expires=(\d+)/.exec(node.get('keyspace')?.get('db0') ?? '');
    if (db0 === null) continue;
    keys += Number(db0[1]);
    expires += Number(db0[2]);
  }
  return keys > 0 ? new Map([['db0', `keys=${keys},expires=${expires},avg_ttl=0`]]) : new Map();
}

export const info: Shape = {
  dispatch(req, _spec, d) {
    const sections = new Set<string>();
    for (let i = 1; i < req.argc; i++) sections.add(req.argString(i).toLowerCase());
    // Best effort: a node that is down leaves its figures out but does not fail INFO, which
    // clients send when they connect.
    toEveryNode(d, ASK_NODES, (replies) => {
      const nodes: NodeInfo[] = [];
      for (const r of replies) {
        const v = decodeReply(r);
        if (v.kind === 'bulk' && v.value !== null) nodes.push(parse(v.value.toString('latin1')));
      }
      return verbatim(render(d, sections, nodes, replies.length - nodes.length), d.client.resp3);
    });
  },
};
