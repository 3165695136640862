import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `bin/fraud <args>` as a real child process (the way an operator runs it). */
export function fraud(
  args: string[],
  env: Record<string, string> = {},
): ChildProcess & { output: () => string } {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', `${root}/src/cli/main.ts`, ...args],
    {
      cwd: root,
      env: { ...process.env, FRAUD_ROOT: root, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return Object.assign(child, { output: () => out });
}

/** Waits until the child printed `pattern`, or fails with its output. */
export async function waitForOutput(
  child: ReturnType<typeof fraud>,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output())) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}):\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  return exited;
}
