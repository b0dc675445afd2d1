// At start, a proxy finds the membership record on any reachable node and follows it; when no
// node holds one, it writes one from its configured nodes (epoch 1). When no node answers in
// time it starts from its configured nodes and keeps trying to reach the record while it serves.
import type { Control } from './control.js';
import { ChangeRefusedError, type MembershipRecord, type RecordMember } from './record.js';

export interface Bootstrapped {
  readonly record: MembershipRecord;
  /** Whether the record was read or written (false: no node answered). */
  readonly recorded: boolean;
}

const sameMembers = (a: readonly RecordMember[], b: readonly RecordMember[]): boolean =>
  a.length === b.length && a.every((m) => b.some((n) => n.id === m.id && n.address === m.address && n.weight === m.weight));

export async function bootstrapRecord(
  control: Control,
  configured: readonly RecordMember[],
  waitMs: number,
  log: (level: 'info' | 'warn', event: string, fields: Record<string, unknown>) => void,
): Promise<Bootstrapped> {
  control.ensure(configured);
  const seed: MembershipRecord = { epoch: 1, revision: 0, members: configured, state: 'stable', changedAt: Date.now() };
  const attempt = async (): Promise<Bootstrapped> => {
    const found = await control.store.read();
    if (found !== null) return { record: found, recorded: true };
    try {
      await control.store.propose(null, seed);
      return { record: seed, recorded: true };
    } catch (error) {
      if (error instanceof ChangeRefusedError && error.current !== undefined) return { record: error.current, recorded: true };
      return { record: seed, recorded: false };
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Bootstrapped>((resolve) => (timer = setTimeout(() => resolve({ record: seed, recorded: false }), waitMs)));
  const result = await Promise.race([attempt(), late]);
  clearTimeout(timer);
  if (!result.recorded) log('warn', 'no node answered for the membership record; serving the configured nodes until one does', { waitMs });
  else if (!sameMembers(result.record.members, configured)) {
    log('info', 'the membership record differs from the configured nodes; following the record', {
      epoch: result.record.epoch,
      members: result.record.members.map((m) => `${m.id === m.address ? '' : `${m.id}=`}${m.address}:${m.weight}`),
    });
  }
  return result;
}
