// Which credentials and TLS each node takes: backend.* for every node, unless the node's object in
// `nodes` carries its own (managed services give each instance its own password). Looked up by
// address, so a node added later (ADDNODE, a reloaded file) finds what its entry says.
import type { Config, NodeAddress } from '../config/schema.js';
import { credentialsOf, type NodeAccess } from './backend.js';
import { nodeTls } from './tls.js';

/** A node as the configuration lists it, its secrets read (config/secrets.ts). */
type ConfiguredNode = Pick<NodeAddress, 'host' | 'port' | 'username' | 'password' | 'tls'>;

type NodeTlsConfig = Config['backend']['tls'];

const key = (host: string, port: number): string => `${host}:${port}`;

export class NodeAccessBook {
  private readonly own = new Map<string, NodeAccess>();

  constructor(
    private readonly defaults: NodeAccess,
    nodes: readonly ConfiguredNode[] = [],
  ) {
    this.learn(nodes);
  }

  /** backend.* for every node (its secrets read), the nodes' own where they have them. */
  static forBackend(backend: { readonly username?: string; readonly password?: string; readonly tls?: NodeTlsConfig }, nodes: readonly ConfiguredNode[]): NodeAccessBook {
    return new NodeAccessBook({ credentials: credentialsOf(backend), tls: nodeTls(backend.tls) }, nodes);
  }

  /** Takes in the nodes' own access (their TLS files read now: a missing one throws with its name). */
  learn(nodes: readonly ConfiguredNode[]): void {
    for (const n of nodes) {
      if (n.password === undefined && n.tls === undefined) continue;
      const at = key(n.host, n.port);
      this.own.set(at, {
        credentials: n.password === undefined ? this.defaults.credentials : credentialsOf(n),
        tls: n.tls === undefined ? this.defaults.tls : nodeTls(n.tls, `nodes[${at}].tls`),
      });
    }
  }

  /** The access of the node at host:port. */
  of(host: string, port: number): NodeAccess {
    return this.own.get(key(host, port)) ?? this.defaults;
  }
}
