import { readdir } from 'node:fs/promises';
import { isFraudError } from '../core/errors/index.ts';
import type { Command } from './command.ts';

const commandsDir = new URL('./commands/', import.meta.url);

async function loadCommands(): Promise<Map<string, Command>> {
  const files = (await readdir(commandsDir)).filter((f) => f.endsWith('.ts')).sort();
  const commands = new Map<string, Command>();
  for (const file of files) {
    const mod = (await import(new URL(file, commandsDir).href)) as { default: Command };
    commands.set(mod.default.name, mod.default);
  }
  return commands;
}

function help(commands: Map<string, Command>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'fraud — real-time financial fraud detection',
    '',
    'Usage: bin/fraud <command> [options]     (bin/fraud <command> --help for details)',
    '',
    'Commands:',
    ...lines,
    '',
    'With no KAFKA_BROKERS / REDIS_URL / NEO4J_URI / DATABASE_URL every part runs embedded.',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.get(name);
  if (!command) {
    process.stderr.write(`fraud: unknown command '${name}'\n\n${help(commands)}`);
    return 2;
  }
  if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h')) {
    process.stdout.write(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  return (await command.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isFraudError(err)) {
      process.stderr.write(`fraud: ${err.code}: ${err.message}\n`);
      for (const d of err.details) process.stderr.write(`  - ${d.field}: ${d.message}\n`);
      process.exitCode = err.code === 'FRAUD_USAGE' ? 2 : 1;
    } else {
      process.stderr.write(`fraud: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
