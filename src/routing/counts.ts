// Requests and error replies by command, for the metrics (jupiter_commands_total,
// jupiter_command_errors_total). Counted in place by command id (protocol/commands.ts): an array
// increment per request, and a byte test per reply, rather than a labelled metric per request.
import { commandNames } from '../protocol/commands.js';

export class CommandCounts {
  readonly calls = new Float64Array(commandNames.length);
  readonly errors = new Float64Array(commandNames.length);
}
