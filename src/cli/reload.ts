// SIGHUP: read the configuration again and make the members what its node list says, as one
// membership change (one handoff), diffed against the current members. Only the node list is
// reloaded; the log says so when other settings changed.
import type { Logger } from 'pino';
import type { Proxy, RingMember } from '../actors/system.js';
import { memberId, type Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import { withoutSecrets } from '../config/secrets.js';

/** What differs between the members and the configured list, one phrase per node. */
export function memberDiff(current: readonly Pick<RingMember, 'id' | 'address' | 'weight'>[], wanted: Config['nodes']): string[] {
  const phrases: string[] = [];
  const wantedIds = new Set<string>();
  for (const n of wanted) {
    const id = memberId(n);
    wantedIds.add(id);
    const address = `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`;
    const now = current.find((m) => m.id === id);
    if (now === undefined) phrases.push(`add ${id === address ? address : `${id}=${address}`} weight ${n.weight}`);
    else {
      if (now.address !== address) phrases.push(`move ${id} from ${now.address} to ${address}`);
      if (now.weight !== n.weight) phrases.push(`weight of ${id} ${now.weight} -> ${n.weight}`);
    }
  }
  for (const m of current) if (!wantedIds.has(m.id)) phrases.push(`remove ${m.id}`);
  return phrases;
}

export function reloadOnHangup(proxy: Proxy, load: () => Config, log: Logger): void {
  let running = false;
  process.on('SIGHUP', () => {
    if (running) {
      log.warn('SIGHUP: the previous reload is still being applied; this one is ignored');
      return;
    }
    running = true;
    reload(proxy, load, log)
      .catch((err: unknown) => log.error({ err }, 'SIGHUP: reload failed; the members are unchanged'))
      .finally(() => (running = false));
  });
}

async function reload(proxy: Proxy, load: () => Config, log: Logger): Promise<void> {
  let config: Config;
  try {
    config = load();
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    log.error({ problems }, 'SIGHUP: the configuration is invalid; the members are unchanged');
    return;
  }
  const { members } = await proxy.ring();
  const changes = memberDiff(members, config.nodes);
  if (JSON.stringify({ ...withoutSecrets(config), nodes: [] }) !== JSON.stringify({ ...proxy.config, nodes: [] })) {
    log.warn('SIGHUP: only the node list is reloaded; other settings that changed take effect at the next start');
  }
  if (changes.length === 0) {
    log.info('SIGHUP: the node list matches the members; nothing to change');
    return;
  }
  try {
    await proxy.setNodes(config.nodes);
    log.info({ changes }, 'SIGHUP: membership change accepted; the handoff runs on');
  } catch (error) {
    log.error({ changes, reason: (error as Error).message }, 'SIGHUP: membership change refused');
  }
}
