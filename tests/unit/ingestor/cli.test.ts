import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkTransaction } from '../../../src/core/contracts/index.ts';
import { parseLabelsCsv } from '../../../src/services/ingestor/index.ts';

const exec = promisify(execFile);
const main = new URL('../../../src/cli/main.ts', import.meta.url).pathname;

async function fraud(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env['KAFKA_BROKERS'];
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', main, ...args],
      { env },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fraud-ingestor-'));
});

describe('bin/fraud simulate --out', () => {
  it('writes exactly --count lines and a labels file, byte-identical for the same seed', async () => {
    const a = await fraud(['simulate', '--count', '20000', '--seed', '7', '--out', join(dir, 'a.jsonl')]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/wrote 20000 transactions/);
    expect(a.stdout).toMatch(/frauds \d+ \(\d\.\d\d%\): card_testing \d+/);
    const b = await fraud([
      'simulate',
      '--count',
      '20000',
      '--seed',
      '7',
      '--out',
      join(dir, 'b.jsonl'),
      '--labels-out',
      join(dir, 'b.csv'),
    ]);
    expect(b.code).toBe(0);
    const [ja, jb] = [await readFile(join(dir, 'a.jsonl')), await readFile(join(dir, 'b.jsonl'))];
    expect(ja.equals(jb)).toBe(true);
    const la = await readFile(join(dir, 'a.labels.csv'), 'utf8');
    expect(la).toBe(await readFile(join(dir, 'b.csv'), 'utf8'));
    const lines = ja.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(20000);
    expect(checkTransaction(JSON.parse(lines[123]!)).ok).toBe(true);
    expect(la.split('\n')[0]).toBe('transaction_id,is_fraud,labeled_at,scenario');
    const labels = parseLabelsCsv(la);
    expect(labels.filter((l) => l.is_fraud).length).toBeGreaterThan(100);
    const c = await fraud(['simulate', '--count', '2000', '--seed', '8', '--out', join(dir, 'c.jsonl')]);
    expect(c.code).toBe(0);
    const otherSeed = (await readFile(join(dir, 'c.jsonl'), 'utf8')).split('\n');
    expect(otherSeed.slice(0, 100)).not.toEqual(lines.slice(0, 100));
  });

  it('explains that live publishing needs Kafka', async () => {
    const r = await fraud(['simulate', '--rate', '5', '--count', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/KAFKA_BROKERS/);
    expect(r.stderr).toMatch(/--out/);
  });

  it('names the flag when an output file cannot be written', async () => {
    const r = await fraud(['simulate', '--count', '10', '--out', join(dir, 'missing-dir', 'x.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out .*missing-dir.*ENOENT/);
  });

  it('asks for --count in history mode and rejects bad numbers', async () => {
    expect((await fraud(['simulate', '--out', join(dir, 'x.jsonl')])).stderr).toMatch(/--out needs --count/);
    expect((await fraud(['simulate', '--count', 'lots', '--out', join(dir, 'x.jsonl')])).code).toBe(2);
  });
});

describe('bin/fraud dataset', () => {
  it('imports a CSV with foreign column names, reporting bad rows without aborting', async () => {
    const csv = [
      'Reference;Booked;Value;Card Token;Shop;Country;Shop type',
      'A1;29/01/2025 13:00;12,50;tok_1;shop_1;PT;grocery',
      'A2;31/02/2025 13:00;12,50;tok_1;shop_1;PT;grocery',
      'A3;29/01/2025 14:00;abc;tok_1;shop_1;PT;grocery',
      'A4;2025-07-01 09:30:00;1.999,99;tok_2;shop_2;ES;',
    ].join('\n');
    await writeFile(join(dir, 'bank.csv'), csv);
    const out = join(dir, 'bank.jsonl');
    const r = await fraud([
      'dataset',
      'import',
      '--input',
      join(dir, 'bank.csv'),
      '--delimiter',
      ';',
      '--decimal',
      ',',
      '--timezone',
      'Europe/Lisbon',
      '--map',
      'transaction_id=Reference,timestamp=Booked,amount=Value,card_id=Card Token,merchant_id=Shop,merchant_country=Country,merchant_category=Shop type',
      '--set',
      'card_present=false,ip_address=0.0.0.0',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4 rows read, 2 converted .* 2 rejected/);
    expect(r.stderr).toMatch(/line 3: timestamp '31\/02\/2025 13:00' is not a valid date/);
    expect(r.stderr).toMatch(/line 4: amount 'abc' is not a number/);
    const txs = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(txs.map((t) => [t.transaction_id, t.timestamp, t.amount, t.currency])).toEqual([
      ['A1', '2025-01-29T13:00:00.000Z', 12.5, 'EUR'],
      ['A4', '2025-07-01T08:30:00.000Z', 1999.99, 'EUR'],
    ]);
    for (const t of txs) expect(checkTransaction(t).ok).toBe(true);
    const rejects = (await readFile(join(dir, 'bank.rejects.csv'), 'utf8')).trim().split('\n');
    expect(rejects).toHaveLength(3);
    expect(rejects[1]).toMatch(/^3,/);
  });

  it('fails fast, naming the fields, when a required field has no column or constant', async () => {
    await writeFile(join(dir, 'thin.csv'), 'id,ts,amt\n1,2025-01-01,3\n');
    const r = await fraud([
      'dataset',
      'import',
      '--input',
      join(dir, 'thin.csv'),
      '--map',
      'transaction_id=id,timestamp=ts,amount=amt',
      '--out',
      join(dir, 'thin.jsonl'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /no column or constant for: card_id, merchant_id, merchant_country, card_present, ip_address/,
    );
  });

  it('normalises labels', async () => {
    await writeFile(
      join(dir, 'cb.csv'),
      'ref,fraud_flag,reported\nA1,Y,2025-02-20 10:00:00\nA4,N,2025-07-10\nA9,?,2025-07-10\n',
    );
    const r = await fraud([
      'dataset',
      'import-labels',
      '--input',
      join(dir, 'cb.csv'),
      '--map',
      'transaction_id=ref,is_fraud=fraud_flag,labeled_at=reported',
      '--out',
      join(dir, 'labels.csv'),
    ]);
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'labels.csv'), 'utf8')).toBe(
      'transaction_id,is_fraud,labeled_at\nA1,1,2025-02-20T10:00:00.000Z\nA4,0,2025-07-10T00:00:00.000Z\n',
    );
    expect(r.stderr).toMatch(/line 4: is_fraud '\?' is not a boolean/);
  });
});
