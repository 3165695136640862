import type { Command } from '../command.ts';

const command: Command = {
  name: 'version',
  summary: 'Print the platform and runtime versions',
  usage: 'Usage: bin/fraud version',
  async run() {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`fraud ${pkg.version} (node ${process.version})\n`);
  },
};
export default command;
