import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../src/core/features/index.ts';
import { type BadLine, backfillToCsv, replayHistory } from '../../../src/services/backfill/index.ts';
import { makeHistory, toJsonl, toLabelsCsv } from './fixtures.ts';

function files(extraLines: string[] = [], extraLabels: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'fraud-backfill-'));
  const h = makeHistory({ count: 300, seed: 3, cards: 10, days: 5, fraudRate: 0.1 });
  const lines = toJsonl(h.transactions).trimEnd().split('\n');
  lines.splice(10, 0, ...extraLines); // bad lines land at line 11, 12, ...
  const input = join(dir, 'h.jsonl');
  const labels = join(dir, 'h.labels.csv');
  writeFileSync(input, `${lines.join('\n')}\n`);
  writeFileSync(labels, toLabelsCsv(h.labels) + extraLabels.join('\n'));
  return { dir, h, input, labels };
}

describe('offline backfill', () => {
  it('writes one row per transaction with the id columns first, then every feature in catalogue order', async () => {
    const { dir, h, input, labels } = files();
    const out = join(dir, 'f.csv');
    const result = await backfillToCsv({ input, labels, out });
    const rows = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe(
      ['transaction_id', 'timestamp', 'card_id', 'customer_id', 'merchant_id', ...FEATURE_NAMES].join(','),
    );
    expect(rows.length).toBe(h.transactions.length + 1);
    expect(rows[1]!.split(',').length).toBe(5 + FEATURE_NAMES.length);
    expect(rows[1]!.split(',')[0]).toBe(h.transactions[0]!.transaction_id);
    expect(result.transactions).toBe(h.transactions.length);
    expect(result.engine.labelsApplied).toBe(h.labels.filter((l) => l.is_fraud).length);
  });

  it('reports bad lines with their line number, skips them, keeps every good line and counts them', async () => {
    const { dir, h, input, labels } = files(
      ['{not json', '{"transaction_id":"x"}'],
      ['tx_3_1,maybe,2025-01-01T00:00:00Z', 'tx_3_2,true,yesterday'],
    );
    const bad: BadLine[] = [];
    const result = await backfillToCsv({
      input,
      labels,
      out: join(dir, 'f.csv'),
      onBadLine: (b) => bad.push(b),
    });
    expect(result.transactions).toBe(h.transactions.length);
    expect(result.badLines).toBe(2);
    expect(result.badLabelLines).toBe(2);
    const inputBad = bad.filter((b) => b.file === input);
    expect(inputBad.map((b) => b.line)).toEqual([11, 12]);
    expect(inputBad[0]!.reason).toMatch(/not JSON/);
    expect(inputBad[1]!.reason).toMatch(/card_id is required/);
    expect(bad.filter((b) => b.file === labels).map((b) => b.reason)).toEqual([
      expect.stringMatching(/is_fraud/),
      expect.stringMatching(/labeled_at/),
    ]);
  });

  it('writes the same bytes and reports the same bad lines on threads as on the calling thread', async () => {
    // Bad lines in the plain shape and out of it, IPv6 and +00:00 (the contract validator's
    // share), a blank line and a CRLF line.
    const good = JSON.parse(toJsonl(makeHistory({ count: 1, seed: 9 }).transactions).trim());
    const { dir, input, labels } = files([
      '{not json',
      JSON.stringify({ ...good, transaction_id: 'v6', ip_address: '2001:db8::1' }),
      JSON.stringify({ ...good, transaction_id: 'utc', timestamp: '2025-01-02T03:04:05+00:00' }),
      JSON.stringify({ ...good, transaction_id: 'neg', amount: -1 }),
      '',
      `${JSON.stringify({ ...good, transaction_id: 'crlf' })}\r`,
      JSON.stringify({ ...good, transaction_id: 'bad ip', ip_address: '01.2.3.4' }),
      // Off the reader's byte-level fast path but good: a non-ASCII category (twice, and
      // an ASCII one it must not be confused with), a space, an escaped character.
      JSON.stringify({ ...good, transaction_id: 'cafe1', merchant_category: 'café' }),
      JSON.stringify({ ...good, transaction_id: 'cafe2', merchant_category: 'cafe' }),
      JSON.stringify({ ...good, transaction_id: 'cafe3', merchant_category: 'café' }),
      JSON.stringify({ ...good, transaction_id: 'spaced' }).replace(',"amount"', ', "amount"'),
      JSON.stringify({ ...good, transaction_id: 'escaped' }).replace('"status":"', '"status":"\\u0070'),
    ]);
    const runs = [];
    for (const threads of [true, false]) {
      const bad: BadLine[] = [];
      const out = join(dir, `f-${threads}.csv`);
      const r = await backfillToCsv({ input, labels, out, threads, onBadLine: (b) => bad.push(b) });
      runs.push({ csv: readFileSync(out, 'utf8'), bad, transactions: r.transactions, lines: r.lines });
    }
    expect(runs[0]!.bad.map((b) => b.line)).toEqual([11, 14, 17]);
    expect(runs[0]!.csv).toContain('\nv6,');
    expect(runs[0]!.csv).toContain('\nutc,');
    expect(runs[0]!.csv).toContain('\ncrlf,');
    for (const id of ['cafe1', 'cafe2', 'cafe3', 'spaced', 'escaped'])
      expect(runs[0]!.csv).toContain(`\n${id},`);
    expect(runs[0]).toEqual(runs[1]);
  });

  it('stays byte-identical across many chunks: reused buffers, a line longer than a chunk, no final newline', async () => {
    // About 8 MB: the threaded reader reads 64 KB, 256 KB, then 1 MB at a time and reuses its
    // buffers, numbers, ids and output between chunks; lines straddle every chunk boundary.
    const h = makeHistory({ count: 25_000, seed: 12, cards: 400, days: 40, fraudRate: 0.05 });
    const lines = toJsonl(h.transactions).trimEnd().split('\n');
    const good = JSON.parse(lines[0]!);
    lines.splice(7000, 0, JSON.stringify({ ...good, transaction_id: 'huge', status: 'x'.repeat(1_500_000) }));
    lines.splice(
      9000,
      0,
      JSON.stringify({ ...good, transaction_id: 'late-cafe', merchant_category: 'café' }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'fraud-backfill-'));
    const input = join(dir, 'h.jsonl');
    const labels = join(dir, 'h.labels.csv');
    writeFileSync(input, lines.join('\n')); // no newline after the last line
    writeFileSync(labels, toLabelsCsv(h.labels));
    const runs = [];
    for (const threads of [true, false]) {
      const bad: BadLine[] = [];
      const out = join(dir, `f-${threads}.csv`);
      const r = await backfillToCsv({ input, labels, out, threads, onBadLine: (b) => bad.push(b) });
      runs.push({
        csv: readFileSync(out),
        bad,
        transactions: r.transactions,
        lines: r.lines,
        applied: r.engine.labelsApplied,
      });
    }
    expect(runs[0]!.transactions).toBe(25_001);
    expect(runs[0]!.bad.map((b) => b.line)).toEqual([7001]);
    expect(runs[0]!.applied).toBeGreaterThan(500);
    expect(runs[0]!.csv.equals(runs[1]!.csv)).toBe(true);
    expect(runs[0]).toEqual(runs[1]);
  });

  it('exposes the replay as an async iterator of {transaction, vector} in input order', async () => {
    const { h, input, labels } = files();
    let i = 0;
    for await (const item of replayHistory({ input, labels })) {
      expect(item.transaction.transaction_id).toBe(h.transactions[i]!.transaction_id);
      expect(item.vector.length).toBe(FEATURE_NAMES.length);
      i++;
    }
    expect(i).toBe(h.transactions.length);
  });

  it('bin/fraud features backfill: CSV out, progress and summary on stderr, exit 0', () => {
    const { dir, input, labels } = files(['garbage']);
    const out = join(dir, 'cli.csv');
    const run = spawnSync(
      'bin/fraud',
      ['features', 'backfill', '--input', input, '--labels', labels, '--out', out],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`skipped ${input}:11: not JSON`);
    expect(run.stderr).toMatch(/done in .* 300 transactions/);
    expect(run.stderr).toMatch(/bad lines: 1 in the input, 0 in the labels/);
    expect(readFileSync(out, 'utf8').split('\n').length).toBe(302); // header + 300 rows + final newline
  });
});
