/**
 * Process plumbing shared by the local launchers: detached spawn with pid and log files, liveness
 * checks that survive pid reuse, port probes, and a SIGTERM-then-SIGKILL stop.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { FraudError } from '../../core/errors/index.ts';

/** Reads a pid file; `null` when it is missing or does not hold a positive integer. */
export function readPid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  // Some daemons (postgres' postmaster.pid) write more lines after the pid: take the first.
  const first = readFileSync(pidFile, 'utf8').split('\n', 1)[0]?.trim() ?? '';
  const pid = Number(first);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** The command line of a live process, or `null` when it is gone or a zombie. */
export function processCommandLine(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 3 (after the parenthesised name) is the state; Z = zombie, X = dead.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return null;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

/**
 * Whether `pid` is alive and still the process we started: its command line must contain
 * `marker` (a recycled pid belonging to something else must never be signalled).
 */
export function isOurProcess(pid: number | null, marker: string): pid is number {
  if (pid === null) return false;
  const cmd = processCommandLine(pid);
  return cmd?.includes(marker) === true;
}

/** Options for {@link spawnDetached}. */
export interface SpawnDetachedOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Written with the child's pid once spawned. */
  pidFile: string;
}

/**
 * Starts a process in its own session that outlives this one (the CLI returns while the broker
 * keeps running), with output appended to a log file and its pid recorded.
 */
export function spawnDetached(options: SpawnDetachedOptions): number {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) {
      throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', `could not start ${options.command}`);
    }
    child.unref();
    writeFileSync(options.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Resolves true when a TCP connection to host:port succeeds within `timeoutMs`. */
export function probePort(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Options for {@link waitUntil}. */
export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Delay between attempts. Default 200 ms. */
  intervalMs?: number;
  /** What is being waited for, for the error message. */
  what: string;
  /** Checked between attempts: when it returns a reason, stop waiting (e.g. the process died). */
  abort?: () => string | null;
}

/** Polls `check` until it resolves true; throws FRAUD_DEPENDENCY_UNAVAILABLE on timeout or abort. */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    const aborted = options.abort?.();
    if (aborted) throw new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', `${options.what}: ${aborted}`);
    if (Date.now() >= deadline) {
      throw new FraudError(
        'FRAUD_DEPENDENCY_UNAVAILABLE',
        `${options.what}: not ready after ${options.timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    }
    await sleep(options.intervalMs ?? 200);
  }
}

/**
 * Stops a process: SIGTERM to its process group (so helpers it forked go too), wait up to
 * `timeoutMs`, then SIGKILL. Resolves once it is gone. Returns how it ended.
 */
export async function stopProcess(
  pid: number,
  timeoutMs: number,
): Promise<'stopped' | 'killed' | 'not-running'> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // process group: spawnDetached makes the child a group leader
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (processCommandLine(pid) === null) return 'not-running';
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processCommandLine(pid) === null) return 'stopped';
    await sleep(100);
  }
  signal('SIGKILL');
  for (let i = 0; i < 50 && processCommandLine(pid) !== null; i++) await sleep(100);
  return 'killed';
}

/** `mkdir -p`. */
/**
 * `down` for a launcher whose process is recorded in a pid file: stops it only when the pid is
 * still ours (its command line has `marker`), and says so when the port is served by something
 * bin/fraud did not start, which it leaves alone.
 */
export async function stopOwnProcess(o: {
  readonly pidFile: string;
  readonly marker: string;
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  log(message: string): void;
}): Promise<void> {
  const pid = readPid(o.pidFile);
  if (!isOurProcess(pid, o.marker)) {
    removeFile(o.pidFile);
    const other = await probePort(o.host, o.port);
    o.log(other ? `not started by bin/fraud (port ${o.port} is in use); left alone` : 'not running');
    return;
  }
  const start = performance.now();
  const how = await stopProcess(pid, o.timeoutMs);
  removeFile(o.pidFile);
  o.log(`${how} (pid ${pid}) in ${elapsedMs(start)} ms`);
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/** Removes a file if present. */
export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

/** Reads a port from the environment, naming the variable on error. */
export function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new FraudError('FRAUD_CONFIG_INVALID', `${name} must be a TCP port in [1, 65535], got '${raw}'`);
  }
  return n;
}

/**
 * A nice value from the environment (0–19; a local service may only be made to yield, never
 * to take the cores first). Default 0.
 */
export function niceFromEnv(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19) {
    throw new FraudError('FRAUD_CONFIG_INVALID', `${name} must be an integer in [0, 19], got '${raw}'`);
  }
  return n;
}

/**
 * `command args…` through nice(1): `nice` is added to the caller's niceness (0 from a shell), and
 * every thread the process starts inherits it (Linux keeps one nice value per thread).
 */
export function niced(
  nice: number,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return nice === 0
    ? { command, args: [...args] }
    : { command: 'nice', args: ['-n', String(nice), command, ...args] };
}

/** The last `lines` lines of a log file, for error messages when a start fails. */
export function tailFile(path: string, lines = 15): string {
  if (!existsSync(path)) return '';
  const all = readFileSync(path, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** Milliseconds since `start` (from `performance.now()`), rounded, for "ready in N ms" messages. */
export function elapsedMs(start: number): number {
  return Math.round(performance.now() - start);
}
