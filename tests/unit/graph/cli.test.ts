import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ringFixture } from './fixtures.ts';

const run = promisify(execFile);
const env = { ...process.env, NEO4J_URI: '' };

async function fraud(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('bin/fraud', args, { env, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bin/fraud graph without NEO4J_URI (in-process graph from a file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraud-graph-cli-'));
  const fx = ringFixture('cli_');
  const input = join(dir, 'h.jsonl');
  // One broken line in the middle: reported with its line number, everything else kept.
  const lines = fx.txs.map((t) => JSON.stringify(t));
  lines.splice(3, 0, '{"transaction_id": ');
  writeFileSync(input, `${lines.join('\n')}\n`);
  const labels = join(dir, 'labels.jsonl');
  writeFileSync(labels, fx.labels.map((l) => JSON.stringify(l)).join('\n'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the ring with its size, and the shared device with its cards', async () => {
    const rings = await fraud(['graph', 'rings', '--input', input, '--labels', labels]);
    expect(rings.code).toBe(0);
    expect(rings.stdout).toMatch(/ring:cli_c1\s+10\s+4\s+1\s+4\s+1\s+4\s+0\.400/);
    expect(rings.stderr).toContain(`${input}:4: not JSON`);
    const shared = await fraud(['graph', 'shared-devices', '--input', input, '--json']);
    expect(JSON.parse(shared.stdout)).toEqual([
      { device_id: 'cli_d1', cards: ['cli_c1', 'cli_c2', 'cli_c3', 'cli_c4'] },
    ]);
    const path = await fraud(['graph', 'path', 'card:cli_c1', 'cli_c5', '--input', input]);
    expect(path.stdout.trim()).toBe(
      'Card:cli_c1 -[USED_ON]- Device:cli_d1 -[USED_ON]- Card:cli_c4 -[USED_ON]- Device:cli_d2 -[USED_ON]- Card:cli_c5',
    );
  }, 60_000);

  it('explains what is missing instead of failing obscurely', async () => {
    const noInput = await fraud(['graph', 'rings']);
    expect(noInput.code).toBe(2);
    expect(noInput.stderr).toContain('no NEO4J_URI: pass --input FILE.jsonl');
    const query = await fraud(['graph', 'query', 'MATCH (n) RETURN n']);
    expect(query.code).toBe(2);
    expect(query.stderr).toContain('graph query runs Cypher on Neo4j: set NEO4J_URI');
  }, 60_000);
});
