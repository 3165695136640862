import { createWriteStream, type WriteStream } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { FraudError } from '../core/errors/index.ts';

/**
 * A `bin/fraud` subcommand. Each lives in its own file under `cli/commands/` and is found by
 * name, so adding one touches no shared list. Modules must stay cheap to import (`--help`
 * imports them all): heavy dependencies are imported inside `run`.
 */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text, printed by `bin/fraud <name> --help`. */
  readonly usage: string;
  run(argv: string[]): Promise<number | undefined | void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs with strict checking and a usage error that names the bad flag. */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new FraudError('FRAUD_USAGE', (err as Error).message);
  }
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/** Parses a non-negative number flag, naming the flag on error. */
export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new FraudError('FRAUD_USAGE', `--${name} must be a non-negative number, got '${value}'`);
  return n;
}

/** Dispatches `<group> <sub> …` to one of several subcommands (e.g. `rules validate`). */
export function subcommands(
  group: string,
  usage: string,
  subs: Record<string, (argv: string[]) => Promise<number | undefined | void>>,
): Command['run'] {
  return async (argv) => {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
      return sub === undefined ? 2 : 0;
    }
    const run = subs[sub];
    if (!run)
      throw new FraudError(
        'FRAUD_USAGE',
        `unknown subcommand '${group} ${sub}'; see 'bin/fraud ${group} --help'`,
      );
    return run(rest);
  };
}

/** Opens an output file, turning "cannot open" into a usage error that names the flag. */
export async function openOutput(path: string, flag: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
  } catch (err) {
    throw new FraudError('FRAUD_USAGE', `--${flag} ${path}: ${(err as Error).message}`);
  }
  return stream;
}
