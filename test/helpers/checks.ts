// Running another language's client program: it prints one JSON line per check
// ({"check", "ok", "detail"}) and exits non-zero if any failed. Bounded by a timeout; the child is
// killed by its PID if it overstays.
import { execFileSync, spawn } from 'node:child_process';

export interface CheckLine {
  readonly check: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ProgramRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Each reported check by name. */
  readonly checks: Map<string, CheckLine>;
  /** Other JSON lines (e.g. {"client", "version"}). */
  readonly info: Record<string, unknown>[];
}

export interface CommandRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed by PID after timeoutMs), optionally feeding it stdin. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string | Buffer } = {},
): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (options.input !== undefined) {
      child.stdin!.on('error', () => {}); // a child that exits early closes its stdin
      child.stdin!.end(options.input);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a check-reporting program and collects its JSON lines. */
export async function runProgram(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProgramRun> {
  const run = await runCommand(command, args, options);
  const checks = new Map<string, CheckLine>();
  const info: Record<string, unknown>[] = [];
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (typeof parsed.check === 'string') checks.set(parsed.check, parsed as unknown as CheckLine);
    else info.push(parsed);
  }
  return { ...run, checks, info };
}

/** The reported check's outcome as an assertion message, or null when it passed. */
export function checkFailure(run: ProgramRun, name: string): string | null {
  const line = run.checks.get(name);
  if (line === undefined) return `check not reported (exit ${run.code}); stderr:\n${run.stderr.slice(-2000)}`;
  return line.ok ? null : (line.detail ?? 'failed');
}

/** The installed version of a Debian package as "upstream (Debian full)", e.g. "1.8.3 (Debian 1:1.8.3-1)". */
export function debianVersion(pkg: string): string {
  const full = execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg]).toString().trim();
  const upstream = full.replace(/^\d+:/, '').replace(/-[^-]+$/, '');
  return `${upstream} (Debian ${full})`;
}
