// A membership change as an operator asks for it, and the member list it leads to; every way in
// (admin command, CLI, embedding API, SIGHUP) describes its change this way.
import type { RecordMember } from './record.js';

export type MembershipChange =
  | { readonly op: 'add'; readonly id: string; readonly address: string; readonly weight: number }
  | { readonly op: 'remove'; readonly node: string }
  | { readonly op: 'weight'; readonly node: string; readonly weight: number }
  | { readonly op: 'replace'; readonly node: string; readonly address: string }
  /** A whole member list (SIGHUP with a changed config file). */
  | { readonly op: 'set'; readonly members: readonly RecordMember[] }
  /** A member that failed leaves the ring, its keys left where they are (it is down). */
  | { readonly op: 'eject'; readonly node: string }
  /** An ejected member that answers again comes back with a handoff. */
  | { readonly op: 'return'; readonly member: RecordMember };

export class ChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChangeError';
  }
}

/** The change as the admin command writes it, for logs, STATUS and errors. */
export function describeChange(change: MembershipChange): string {
  switch (change.op) {
    case 'add':
      return `ADDNODE ${change.id === change.address ? '' : `${change.id}=`}${change.address} ${change.weight}`;
    case 'remove':
      return `REMOVENODE ${change.node}`;
    case 'weight':
      return `SETWEIGHT ${change.node} ${change.weight}`;
    case 'replace':
      return `REPLACENODE ${change.node} ${change.address}`;
    case 'set':
      return `SETNODES ${change.members.map((m) => (m.id === m.address ? m.address : `${m.id}=${m.address}`) + `:${m.weight}`).join(',')}`;
    case 'eject':
      return `EJECT ${change.node}`;
    case 'return':
      return `RETURN ${change.member.id}`;
  }
}

/** Finds a member by id or by address. */
function find(members: readonly RecordMember[], node: string): RecordMember {
  const found = members.find((m) => m.id === node) ?? members.find((m) => m.address === node);
  if (found === undefined) throw new ChangeError(`'${node}' is not a member (JUPITER NODES lists them)`);
  return found;
}

/** The members after `change`; throws ChangeError when it cannot apply. */
export function applyChange(members: readonly RecordMember[], change: MembershipChange): RecordMember[] {
  switch (change.op) {
    case 'add': {
      for (const m of members) {
        if (m.id === change.id || m.address === change.address) throw new ChangeError(`'${change.id}' is already a member (as ${m.id} at ${m.address})`);
      }
      return [...members, { id: change.id, address: change.address, weight: change.weight }];
    }
    case 'remove': {
      const gone = find(members, change.node);
      if (members.length === 1) throw new ChangeError(`'${gone.id}' is the last member and cannot be removed`);
      return members.filter((m) => m !== gone);
    }
    case 'weight': {
      const target = find(members, change.node);
      if (target.weight === change.weight) throw new ChangeError(`'${target.id}' already has weight ${change.weight}`);
      return members.map((m) => (m === target ? { ...m, weight: change.weight } : m));
    }
    case 'replace': {
      const target = find(members, change.node);
      if (target.id === target.address) throw new ChangeError(`'${target.id}' has no name: REPLACENODE keeps a named node's keys; add the new node and remove this one instead`);
      if (members.some((m) => m.address === change.address)) throw new ChangeError(`${change.address} is already a member's address`);
      return members.map((m) => (m === target ? { ...m, address: change.address } : m));
    }
    case 'eject': {
      const gone = find(members, change.node);
      if (members.length === 1) throw new ChangeError(`'${gone.id}' is the last member and is not ejected`);
      return members.filter((m) => m !== gone);
    }
    case 'return':
      return [...members, change.member];
    case 'set': {
      const same = (a: RecordMember, b: RecordMember) => a.id === b.id && a.address === b.address && a.weight === b.weight;
      if (change.members.length === members.length && change.members.every((m) => members.some((n) => same(m, n)))) {
        throw new ChangeError('the node list is the same as the current members');
      }
      if (change.members.length === 0) throw new ChangeError('the node list is empty');
      return [...change.members];
    }
  }
}
