import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'ml-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fraud = (args: string[]) =>
  exec(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { cwd: ROOT });

const labels = join(dir, 'labels.csv');
writeFileSync(
  labels,
  'transaction_id,is_fraud,labeled_at\nt1,true,2025-02-01T00:00:00Z\nt4,true,2025-02-01T00:00:00Z\nt9,true,2025-02-01T00:00:00Z\n',
);

describe('bin/fraud evaluate and models compare --scores', () => {
  it('evaluate: metrics of a scores CSV, flagged = the decisions in the file', async () => {
    const scores = join(dir, 'scores.csv');
    writeFileSync(
      scores,
      [
        'transaction_id,score,decision,timestamp,card_id,model_version',
        't1,0.9,block,2025-01-20T10:00:00Z,c1,m',
        't2,0.7,review,2025-01-20T11:00:00Z,c2,m',
        't3,0.2,approve,2025-01-20T12:00:00Z,c3,m',
        't4,0.1,approve,2025-01-21T12:00:00Z,c4,m',
        't5,oops,approve,2025-01-21T12:00:00Z,c5,m',
      ].join('\n'),
    );
    const { stdout } = await fraud([
      'evaluate',
      '--scores',
      scores,
      '--labels',
      labels,
      '--json',
      '--k',
      '1',
    ]);
    const m = JSON.parse(stdout);
    expect(m.rows).toBe(4); // the unparsable score is reported and skipped, not fatal
    expect(m.positives).toBe(2);
    expect(m.threshold).toBe(0.7);
    expect(m.confusion).toEqual({ tp: 1, fp: 1, fn: 1, tn: 1 });
    expect(m.roc_auc).toBe(0.5);
    // Day 1: top card c1 is fraud (1/1); day 2: top card c4 is fraud (1/1).
    expect(m.card_precision_at_k).toBe(1);
  });

  it('models compare --scores: champion vs shadow challenger on the same recorded transactions', async () => {
    const shadow = join(dir, 'scores.jsonl');
    const rec = (id: string, s: number, d: string, cs: number, cd: string) =>
      JSON.stringify({
        transaction_id: id,
        model_version: 'champ-1',
        model_score: s,
        decision: d,
        shadow: { challenger: { model_version: 'chall-2', score: cs, decision: cd } },
      });
    writeFileSync(
      shadow,
      [
        rec('t1', 0.95, 'block', 0.4, 'review'),
        rec('t2', 0.1, 'approve', 0.5, 'review'),
        rec('t3', 0.05, 'approve', 0.01, 'approve'),
        JSON.stringify({ transaction_id: 't7', model_score: 0.3, decision: 'approve' }),
      ].join('\n'),
    );
    const { stdout, stderr } = await fraud(['models', 'compare', '--scores', shadow, '--labels', labels]);
    expect(stdout).toContain('| Metric | champion champ-1 | challenger chall-2 |');
    expect(stdout).toContain('| ROC AUC | 1 | 0.5000 |');
    expect(stderr).toContain('3 transactions scored by both, 1 records skipped');
  });
});
