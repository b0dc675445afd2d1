#!/usr/bin/env node
// The jupiter command: commander wiring only; each command's work lives in its own module.
import { createRequire } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { commaList, configSchema, LOG_LEVELS, NODE_ACTOR_PLACEMENTS, numberOrText } from '../config/schema.js';
import { demo } from './demo.js';
import { serve } from './serve.js';
import * as blob from './blob.js';
import * as admin from './admin.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
// Shown in the help; they come from the schema, the one source of every option's default.
const defaults = configSchema.parse({ nodes: ['placeholder:1'] });

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a port number (0-65535).');
  return port;
}

const program = new Command()
  .name('jupiter')
  .description('A Redis proxy: one address in front of many Redis nodes, keys spread by consistent hashing.')
  .version(version)
  .showHelpAfterError("(run with --help for usage)")
  // A usage mistake exits 2, like a configuration mistake; help and --version exit 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .addHelpText(
    'after',
    '\nWithout a command, jupiter runs serve:\n' +
      '  jupiter --port 6380 --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003\n' +
      "See 'jupiter serve --help' for its options, 'jupiter demo' to try it on this machine.",
  );

program
  .command('serve', { isDefault: true })
  .description('run the proxy (the default command); flags override the --config file, which overrides JUPITER_* variables')
  .option('-p, --port <port>', `port to listen on (default ${defaults.port}; env JUPITER_PORT)`, numberOrText)
  .option('-b, --bind <address>', `address to listen on (default ${defaults.bind}; env JUPITER_BIND)`)
  .option('-n, --nodes <list>', 'Redis nodes, comma-separated host:port or host:port:weight (env JUPITER_NODES)', commaList)
  .option('-c, --config <file>', 'YAML configuration file')
  .option(
    '--node-actors <placement>',
    `where node actors run: ${NODE_ACTOR_PLACEMENTS.join(' or ')} (default ${defaults.nodeActors}; env JUPITER_NODE_ACTORS)`,
  )
  .option('--log-level <level>', `${LOG_LEVELS.join(', ')} (default ${defaults.log.level}; env JUPITER_LOG_LEVEL)`)
  .option('--workers <count>', `proxy processes sharing the port (default ${defaults.workers}; env JUPITER_WORKERS)`, numberOrText)
  .option('--metrics-port <port>', 'serve GET /metrics and /health on this port (default off; env JUPITER_METRICS_PORT)', numberOrText)
  .option('--eject', 'take a failed node out of the ring until it answers again (default off; env JUPITER_EJECT_ENABLED)')
  .option('--eject-on-down <what>', `what a read for a down node gets before it is ejected: error or miss (default ${defaults.eject.onDown}; env JUPITER_EJECT_ON_DOWN)`)
  .addHelpText(
    'after',
    '\nExample:\n  jupiter --port 6380 --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003\n\n' +
      'Logs are JSON lines on stdout. SIGINT or SIGTERM drains in-flight requests, then exits 0.\n' +
      'A configuration mistake prints one line per problem and exits 2.',
  )
  .action(serve);

program
  .command('demo')
  .description('start three local redis-server nodes and the proxy in front of them; Ctrl-C stops everything')
  .option('-p, --port <port>', 'port for the proxy', portNumber, 6380)
  .addOption(new Option('--log-level <level>', 'proxy log level').choices(LOG_LEVELS).default('warn'))
  .action(demo);

const blobs = program
  .command('blob')
  .description('store and fetch blobs (64 KiB chunks over every node) through a running jupiter, or straight to its nodes')
  .option('--proxy <host:port>', 'the jupiter to talk to', '127.0.0.1:6380')
  .option('--nodes <list>', "instead of a proxy: jupiter's member list (host:port,...), reached straight with its ring")
  .option('--config <file>', "instead of a proxy: the nodes of jupiter's config file, with its node credentials and TLS (backend.*)")
  .option('--user <name>', 'sign in to the proxy as this user (auth.users)')
  .option('--auth <password>', 'sign in to the proxy with this password (auth.requirepass, or --user\'s; env REDISCLI_AUTH)');
blobs
  .command('put <name> <file>')
  .description("write FILE ('-' for stdin) as blob NAME, replacing any blob of that name")
  .option('--ttl <seconds>', 'expire the blob after this many seconds')
  .option('--content-type <type>', 'a content type kept in the manifest')
  .action((name: string, file: string, options: { ttl?: string; contentType?: string }) => blob.put(blobs.opts(), name, file, options));
blobs
  .command('get <name>')
  .description('write blob NAME to stdout, or to a file')
  .option('-o, --output <file>', 'the file to write')
  .action((name: string, options: { output?: string }) => blob.get(blobs.opts(), name, options));
blobs
  .command('stat <name>')
  .description("print blob NAME's manifest as field:value lines")
  .action((name: string) => blob.stat(blobs.opts(), name));
blobs
  .command('rm <name>')
  .description('delete blob NAME')
  .action((name: string) => blob.rm(blobs.opts(), name));
blobs
  .command('ls [prefix]')
  .description('list the blobs whose names start with PREFIX')
  .action((prefix?: string) => blob.ls(blobs.opts(), prefix));

const admins = program
  .command('admin')
  .description('show and change the members of a running jupiter (the JUPITER admin commands)')
  .option('--proxy <host:port>', 'the jupiter to talk to', '127.0.0.1:6380')
  .option('--password <password>', 'the admin.password, when one is set (env JUPITER_ADMIN_PASSWORD)')
  .option('--user <name>', 'sign in to the proxy as this user (auth.users)')
  .option('--auth <password>', 'sign in to the proxy with this password (auth.requirepass, or --user\'s; env REDISCLI_AUTH)');
admins
  .command('nodes')
  .description('one line per member: id, address, weight, state and share of the keys')
  .action(() => admin.nodes(admins.opts()));
admins
  .command('status')
  .description('the membership state as field:value lines (state, epoch, keys_moved...)')
  .action(() => admin.showStatus(admins.opts()));
const changeCommand = (usage: string, description: string, args: (...a: string[]) => string[]): void => {
  admins
    .command(usage)
    .description(`${description}; waits until the handoff ends, with a progress bar when stderr is a terminal`)
    .option('--no-wait', 'return once the change is accepted')
    .action((...a: unknown[]) => {
      const values = a.filter((v): v is string => typeof v === 'string');
      const options = a.find((v) => typeof v === 'object' && v !== null && 'wait' in v) as admin.ChangeFlags;
      return admin.change(admins.opts(), options, args(...values));
    });
};
changeCommand('add <address> [weight]', 'add a node (name=host:port for a named one)', (address, weight) => ['ADDNODE', address, ...(weight ? [weight] : [])]);
changeCommand('remove <node>', "remove a member (its name or address); its keys move to the others", (node) => ['REMOVENODE', node]);
changeCommand('weight <node> <weight>', "change a member's weight", (node, weight) => ['SETWEIGHT', node, weight]);
changeCommand('replace <name> <address>', "give a named member a new address; no key moves", (name, address) => ['REPLACENODE', name, address]);

await program.parseAsync();
