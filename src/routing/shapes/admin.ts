// JUPITER, the admin command: read the membership (NODES, STATUS) and change it (ADDNODE,
// REMOVENODE, SETWEIGHT, REPLACENODE). Switched off by admin.enabled: false; behind JUPITER AUTH
// when admin.password is set. Answered by the MembershipActor, through the connection.
import { bulkArray, OK } from '../../protocol/encode.js';
import { adminDisabled, adminNeedsAuth, badAdminArgument, wrongPass } from '../../protocol/errors.js';
import { nodeSchema } from '../../config/schema.js';
import { passwordMatches } from '../../security/access.js';
import type { MembershipChange } from '../../handoff/change.js';
import type { RequestView } from '../request.js';
import type { Shape } from '../dispatch.js';

const HELP = [
  'JUPITER <subcommand> [<arg> ...]. Subcommands are:',
  'NODES',
  '    One line per member: address, weight, state, share of the keys.',
  'STATUS',
  '    The membership state and epoch, as INFO-style lines.',
  'AUTH <password>',
  '    Allows the other subcommands on this connection when admin.password is set.',
  'ADDNODE [<name>=]<host:port> [<weight>]',
  '    Adds a node; its share of the keys is handed off to it while jupiter serves.',
  'REMOVENODE <node>',
  '    Hands a node\'s keys off to the others, then disconnects it (<node>: its name or host:port).',
  'SETWEIGHT <node> <weight>',
  '    Changes a node\'s share of the keys, handing off the difference.',
  'REPLACENODE <name> <host:port>',
  '    Gives a named node a new address (after a failover) without moving keys.',
  'Each change answers +OK once every proxy may take it; STATUS shows the handoff until state:stable.',
];

/** A weight as the config takes it: above 0, at most 100. */
function weightOf(text: string): number | undefined {
  const w = Number(text);
  return /^\d+(\.\d+)?$/.test(text) && w > 0 && w <= 100 ? w : undefined;
}

/** The change a JUPITER subcommand asks for, or the text of why its arguments are wrong. */
function changeOf(name: string, req: RequestView): MembershipChange | string {
  switch (name) {
    case 'jupiter|addnode': {
      if (req.argc > 4) return 'ADDNODE takes [<name>=]<host:port> [<weight>]';
      const weight = req.argc === 4 ? weightOf(req.argString(3)) : 1;
      if (weight === undefined) return `weight '${req.argString(3)}' is not a number above 0 and at most 100`;
      const parsed = nodeSchema.safeParse(req.argString(2));
      if (!parsed.success || parsed.data.weight !== 1) return `'${req.argString(2)}' is not [<name>=]<host:port>`;
      const { name: id, host, port } = parsed.data;
      const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      return { op: 'add', id: id ?? address, address, weight };
    }
    case 'jupiter|removenode':
      return { op: 'remove', node: req.argString(2) };
    case 'jupiter|setweight': {
      const weight = weightOf(req.argString(3));
      if (weight === undefined) return `weight '${req.argString(3)}' is not a number above 0 and at most 100`;
      return { op: 'weight', node: req.argString(2), weight };
    }
    default: {
      const address = req.argString(3);
      if (!/^(\[[^\]]+\]|[^:=\s]+):\d{1,5}$/.test(address)) return `'${address}' is not <host:port>`;
      return { op: 'replace', node: req.argString(2), address };
    }
  }
}

export const admin: Shape = {
  connectionLocal: true,
  dispatch(req, spec, d) {
    const policy = d.proxy.admin;
    if (!policy.enabled) return d.reply(adminDisabled);
    if (spec.name === 'jupiter|help') return d.reply(bulkArray(HELP));
    if (spec.name === 'jupiter|auth') {
      if (policy.password === undefined || !passwordMatches(req.argString(2), policy.password)) return d.reply(wrongPass);
      d.client.admin = true;
      return d.reply(OK);
    }
    if (policy.password !== undefined && !d.client.admin) return d.reply(adminNeedsAuth);
    if (spec.name === 'jupiter') {
      // The router let it through: an application's subcommand (README "Embedding").
      const name = req.argString(1);
      const args: string[] = [];
      for (let i = 2; i < req.argc; i++) args.push(req.argString(i));
      return d.askExtension(d.proxy.extensions.commands.get(name.toLowerCase())!, name.toUpperCase(), args);
    }
    switch (spec.name) {
      case 'jupiter|nodes':
        return d.askMembership({ op: 'nodes' });
      case 'jupiter|status':
        return d.askMembership({ op: 'status' });
      default: {
        const change = changeOf(spec.name, req);
        if (typeof change === 'string') return d.reply(badAdminArgument(change));
        return d.askMembership({ op: 'change', change });
      }
    }
  },
};
