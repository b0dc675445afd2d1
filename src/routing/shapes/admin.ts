// JUPITER, the admin command: read the membership (NODES, STATUS) and, once live membership
// changes land, change it. Switched off by admin.enabled: false; behind JUPITER AUTH when
// admin.password is set. Answered by the MembershipActor, through the connection.
import { createHash, timingSafeEqual } from 'node:crypto';
import { bulkArray, OK } from '../../protocol/encode.js';
import { adminDisabled, adminNeedsAuth, membershipChangesUnavailable, wrongPass } from '../../protocol/errors.js';
import type { Shape } from '../dispatch.js';

const HELP = [
  'JUPITER <subcommand> [<arg> ...]. Subcommands are:',
  'NODES',
  '    One line per member: address, weight, state, share of the keys.',
  'STATUS',
  '    The membership state and epoch, as INFO-style lines.',
  'AUTH <password>',
  '    Allows the other subcommands on this connection when admin.password is set.',
  'ADDNODE, REMOVENODE, SETWEIGHT, REPLACENODE',
  '    Not available yet: the member list is fixed while jupiter serves.',
];

const digest = (text: string): Buffer => createHash('sha256').update(text, 'latin1').digest();

/** Compares digests, so the time taken tells nothing about the password. */
function passwordMatches(given: string, password: string): boolean {
  return timingSafeEqual(digest(given), digest(password));
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
    switch (spec.name) {
      case 'jupiter|nodes':
        return d.askMembership('nodes');
      case 'jupiter|status':
        return d.askMembership('status');
      default:
        return d.reply(membershipChangesUnavailable(spec.name));
    }
  },
};
