import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/adapters/model-onnx/index.ts';

/*
 * The acceptance chain of issue 5 at CI size, with the real Python trainer and a real MLflow
 * store (SQLite, private to this test): simulate → train (registers a version) → score a later
 * week point-in-time → evaluate → promote → serve models:/name@champion from TypeScript.
 */
const exec = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
const FRAUD = join(ROOT, 'bin', 'fraud');
const dir = mkdtempSync(join(tmpdir(), 'ml-pipeline-'));
const env = {
  ...process.env,
  MLFLOW_TRACKING_URI: `sqlite:///${join(dir, 'mlflow.db')}`,
  FRAUD_DATA_DIR: join(dir, 'data'),
};
const fraud = (args: string[]) => exec(FRAUD, args, { env, cwd: ROOT, maxBuffer: 64 << 20 });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ML pipeline end to end (bin/fraud train → score → evaluate → models promote)', () => {
  const history = join(dir, 'h.jsonl');
  const labels = join(dir, 'h.labels.csv');
  const model = join(dir, 'model');
  const scores = join(dir, 'scores.csv');

  it('trains on point-in-time features, reports, and registers a version', async () => {
    await fraud(['simulate', '--count', '40000', '--days', '28', '--seed', '5', '--out', history, '--quiet']);
    const { stdout, stderr } = await fraud([
      'train',
      '--history',
      history,
      '--labels',
      labels,
      '--train-from',
      '2025-01-06',
      '--train-until',
      '2025-01-23',
      '--gap-days',
      '3',
      '--test-days',
      '7',
      '--algorithm',
      'lightgbm',
      '--alias',
      'challenger',
      '--register-as',
      'fraud-it',
      '--out',
      model,
    ]);
    expect(stdout).toMatch(/\| ROC AUC \| \d\.\d{4} \| \d\.\d{4} \|/);
    expect(stderr).toMatch(/registered fraud-it version 1 @challenger/);
    for (const f of [
      'model.onnx',
      'model.json',
      'explain.json',
      'report.md',
      'report.json',
      'roc.png',
      'pr.png',
    ]) {
      expect(existsSync(join(model, f))).toBe(true);
    }
    const report = JSON.parse(readFileSync(join(model, 'report.json'), 'utf8'));
    expect(report.results.test.rows).toBeGreaterThan(1000);
    expect(report.results.test.roc_auc).toBeGreaterThan(0.8);
  }, 600_000);

  it('scores a later week point-in-time and evaluates it with the same metrics', async () => {
    const { stderr } = await fraud([
      'score',
      '--history',
      history,
      '--labels',
      labels,
      '--model',
      model,
      '--from',
      '2025-01-26',
      '--until',
      '2025-02-02',
      '--out',
      scores,
    ]);
    expect(stderr).toMatch(/transactions scored/);
    const lines = readFileSync(scores, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('transaction_id,score,decision,timestamp,card_id,model_version');
    expect(lines.length).toBeGreaterThan(1000);
    for (const line of lines.slice(1, 200)) {
      const [, score, decision, ts] = line.split(',');
      expect(Number(score)).toBeGreaterThanOrEqual(0);
      expect(['approve', 'review', 'block']).toContain(decision);
      expect(ts! >= '2025-01-26' && ts! < '2025-02-02').toBe(true);
    }
    const { stdout } = await fraud(['evaluate', '--scores', scores, '--labels', labels, '--json']);
    const metrics = JSON.parse(stdout);
    expect(metrics.rows).toBe(lines.length - 1);
    expect(metrics.roc_auc).toBeGreaterThan(0.8);
    // The same window as the trainer's test window: TypeScript (replay + ONNX + metrics.ts) and
    // Python (backfill CSV + native model + metrics.py) must agree on every metric.
    const python = JSON.parse(readFileSync(join(model, 'report.json'), 'utf8')).results.test;
    expect(metrics.rows).toBe(python.rows);
    expect(metrics.positives).toBe(python.positives);
    for (const key of [
      'roc_auc',
      'average_precision',
      'precision',
      'recall',
      'f1',
      'fpr',
      'recall_at_0_1pct_fpr',
      'recall_at_1pct_fpr',
      'card_precision_at_k',
    ]) {
      expect(metrics[key], key).toBeCloseTo(python[key], 4);
    }
    expect(metrics.brier).toBeCloseTo(python.calibration.brier, 5);
  }, 300_000);

  it('promotes with one command and serves models:/name@champion from the registry', async () => {
    await fraud(['models', 'promote', 'fraud-it', '1', '--alias', 'champion']);
    const { stdout } = await fraud(['models', 'list', '--name', 'fraud-it']);
    expect(stdout).toMatch(/v1 .*@challenger/);
    expect(stdout).toMatch(/@champion/);
    const saved = process.env['MLFLOW_TRACKING_URI'];
    process.env['MLFLOW_TRACKING_URI'] = env.MLFLOW_TRACKING_URI;
    try {
      const served = await loadModel('models:/fraud-it@champion');
      const local = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
      expect(served?.version).toBe(local.model_version);
      expect(served?.source.registry?.version).toBe('1');
      await served?.close();
    } finally {
      if (saved === undefined) delete process.env['MLFLOW_TRACKING_URI'];
      else process.env['MLFLOW_TRACKING_URI'] = saved;
    }
  }, 300_000);

  it('retrains on the label store, compares with the champion on one test window, registers the challenger', async () => {
    const out = join(dir, 'challenger');
    const { stdout, stderr } = await fraud([
      'retrain',
      '--history',
      history,
      '--import-labels',
      labels,
      '--out',
      out,
      '--register-as',
      'fraud-it',
      '--champion',
      'models:/fraud-it@champion',
      '--gap-days',
      '3',
      '--test-days',
      '7',
    ]);
    expect(stderr).toMatch(/imported \d+ labels into the store/);
    expect(existsSync(join(dir, 'data', 'labels', 'labels.jsonl'))).toBe(true);
    expect(stdout).toMatch(/Test window \[2025-01-2\d/);
    expect(stdout).toMatch(/\| Metric \| champion lightgbm-\S+ \| challenger xgboost-\S+ \|/);
    expect(stderr).toMatch(/registered as fraud-it\/2 @challenger/);
    expect(existsSync(join(out, 'comparison.md'))).toBe(true);
  }, 600_000);

  it('resolves the alias through a real MLflow tracking server (REST) and downloads the version', async () => {
    const port = await new Promise<number>((res) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => res(p));
      });
    });
    let server: ChildProcess | null = spawn(
      join(ROOT, '.venv', 'bin', 'mlflow'),
      [
        'server',
        '--backend-store-uri',
        env.MLFLOW_TRACKING_URI,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--workers',
        '1',
      ],
      { stdio: 'ignore' },
    );
    const base = `http://127.0.0.1:${port}`;
    const saved = process.env['MLFLOW_TRACKING_URI'];
    try {
      for (let i = 0; ; i++) {
        const ok = await fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (i > 360) throw new Error('mlflow server did not start within 180 s');
        await new Promise((r) => setTimeout(r, 500));
      }
      // The UI's API lists the training run (what `mlflow ui` shows).
      const runs = (await (
        await fetch(`${base}/api/2.0/mlflow/runs/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ experiment_ids: ['1'] }),
        })
      ).json()) as { runs: { info: { run_name: string } }[] };
      const local = JSON.parse(readFileSync(join(model, 'model.json'), 'utf8'));
      expect(runs.runs.map((r) => r.info.run_name)).toContain(local.model_version);

      process.env['MLFLOW_TRACKING_URI'] = base;
      const served = await loadModel('models:/fraud-it@champion', { root: dir });
      expect(served?.version).toBe(local.model_version);
      expect(served?.source.dir.startsWith(join(dir, '.data', 'model-cache'))).toBe(true);
      const p = JSON.parse(readFileSync(join(model, 'parity.json'), 'utf8')) as {
        rows: (number | null)[][];
        python: number[];
      };
      const s = await served!.score([Float64Array.from(p.rows[0]!, (v) => (v === null ? Number.NaN : v))]);
      expect(Math.abs(s[0]! - p.python[0]!)).toBeLessThan(1e-5);
      await served?.close();
    } finally {
      if (saved === undefined) delete process.env['MLFLOW_TRACKING_URI'];
      else process.env['MLFLOW_TRACKING_URI'] = saved;
      server?.kill('SIGTERM');
      server = null;
    }
  }, 300_000);
});
