import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import {
  loadModel,
  ModelWatcher,
  modelEvent,
  type OnnxModel,
  startModelWatchers,
} from '../../../src/adapters/model-onnx/index.ts';
import { TOPICS } from '../../../src/core/contracts/index.ts';
import { isFraudError } from '../../../src/core/errors/index.ts';
import { WATCH_FETCH } from '../../../src/ports/index.ts';

/*
 * The fixtures are small synthetic models trained by ml/tests/make_fixtures.py (feature set
 * `fs-test`); parity.json holds rows with the training library's own predictions, margins
 * and contributions (XGBoost/LightGBM pred_contribs = their native TreeSHAP).
 */
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
const ALGORITHMS = ['xgboost', 'lightgbm', 'logreg'] as const;

interface Parity {
  feature_names: string[];
  rows: (number | null)[][];
  python: number[];
  python_margin: number[];
  contributions: number[][];
}

const parity = (algo: string) =>
  JSON.parse(readFileSync(join(FIXTURES, algo, 'parity.json'), 'utf8')) as Parity;
const toVector = (row: (number | null)[]) => Float64Array.from(row, (v) => (v === null ? Number.NaN : v));
const logit = (p: number) => Math.log(p / (1 - p));

async function load(algo: string, featureNames?: string[]): Promise<OnnxModel> {
  const p = parity(algo);
  const model = await loadModel(join(FIXTURES, algo), {
    featureNames: featureNames ?? p.feature_names,
    featureSetVersion: 'fs-test',
  });
  if (!model) throw new Error('no model');
  return model;
}

const opened: OnnxModel[] = [];
afterAll(async () => {
  for (const m of opened) await m.close();
});

describe.each(ALGORITHMS)('ONNX model scorer (%s)', (algo) => {
  it('agrees with the Python predictions within 1e-5 (parity)', async () => {
    const model = await load(algo);
    opened.push(model);
    const p = parity(algo);
    const scores = await model.score(p.rows.map(toVector));
    expect(scores.length).toBe(p.rows.length);
    let worst = 0;
    for (let i = 0; i < scores.length; i++) worst = Math.max(worst, Math.abs(scores[i]! - p.python[i]!));
    expect(worst).toBeLessThan(1e-5);
    // Rows with missing features are part of the parity set.
    expect(p.rows.some((r) => r.includes(null))).toBe(true);
  });

  it('scores one row the same as in a batch, and carries the model version', async () => {
    const model = await load(algo);
    opened.push(model);
    const p = parity(algo);
    const batch = await model.score(p.rows.slice(0, 20).map(toVector));
    for (let i = 0; i < 20; i++) {
      const single = await model.score([toVector(p.rows[i]!)]);
      // Identical up to float32 rounding (a batched matmul may sum in another order).
      expect(Math.abs(single[0]! - batch[i]!)).toBeLessThan(1e-6);
    }
    expect(model.version).toMatch(new RegExp(`^${algo}-\\d{8}-[0-9a-f]{8}$`));
  });

  it('explains: contributions + bias = the margin of the served score', async () => {
    const model = await load(algo);
    opened.push(model);
    const p = parity(algo);
    const scores = await model.score(p.rows.map(toVector));
    for (let i = 0; i < p.rows.length; i++) {
      const { bias, contributions } = model.attribute(toVector(p.rows[i]!));
      const sum = contributions.reduce((s, c) => s + c, bias);
      expect(Math.abs(sum - p.python_margin[i]!)).toBeLessThan(1e-4);
      const sigmoid = 1 / (1 + Math.exp(-sum));
      expect(Math.abs(sigmoid - scores[i]!)).toBeLessThan(1e-5);
    }
  });

  it("matches the training library's own attributions (TreeSHAP / linear SHAP)", async () => {
    const model = await load(algo);
    opened.push(model);
    const p = parity(algo);
    p.contributions.forEach((expected, i) => {
      const { bias, contributions } = model.attribute(toVector(p.rows[i]!));
      for (let j = 0; j < contributions.length; j++) expect(contributions[j]!).toBeCloseTo(expected[j]!, 3);
      expect(bias).toBeCloseTo(expected[expected.length - 1]!, 3);
    });
  });

  it('explainMany on the explanation thread equals explain on the caller thread, row for row', async () => {
    const model = await load(algo);
    opened.push(model);
    const vectors = parity(algo).rows.map(toVector);
    const many = await model.explainMany(vectors, 4);
    expect(many).toEqual(vectors.map((v) => model.explain(v, 4)));
    expect(many.some((top) => top.length > 0)).toBe(true);
  });

  it('explains in-line once the explanation thread is gone (explanations never fail a decision)', async () => {
    const model = await load(algo);
    const vectors = parity(algo).rows.slice(0, 5).map(toVector);
    const expected = vectors.map((v) => model.explain(v, 3));
    const pending = model.explainMany(vectors, 3);
    await model.close(); // terminates the thread under the pending request
    expect(await pending).toEqual(expected);
    expect(await model.explainMany(vectors, 3)).toEqual(expected);
  });
});

describe('ONNX model scorer: contract', () => {
  it('maps the catalogue order to the model order', async () => {
    const p = parity('xgboost');
    const shuffled = [...p.feature_names].reverse();
    const model = await load('xgboost', ['unused_feature', ...shuffled]);
    opened.push(model);
    const rows = p.rows.slice(0, 30).map((r) => {
      const v = new Float64Array(shuffled.length + 1).fill(123456);
      p.feature_names.forEach((name, j) => {
        v[1 + shuffled.indexOf(name)] = r[j] === null ? Number.NaN : r[j]!;
      });
      return v;
    });
    const scores = await model.score(rows);
    for (let i = 0; i < rows.length; i++) expect(Math.abs(scores[i]! - p.python[i]!)).toBeLessThan(1e-5);
  });

  it('refuses a model trained on another feature set version, naming both', async () => {
    const p = parity('xgboost');
    const err = await loadModel(join(FIXTURES, 'xgboost'), {
      featureNames: p.feature_names,
      featureSetVersion: 'fs-other',
    }).catch((e: unknown) => e);
    expect(isFraudError(err) && err.code).toBe('FRAUD_MODEL_UNAVAILABLE');
    expect((err as Error).message).toContain('fs-test');
    expect((err as Error).message).toContain('fs-other');
  });

  it('refuses a model that needs a feature the catalogue lacks', async () => {
    const err = await loadModel(join(FIXTURES, 'xgboost'), {
      featureNames: ['amount'],
      featureSetVersion: 'fs-test',
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/needs feature 'card_count_1h'/);
  });

  it('top contributions: sorted by magnitude, with the raw value (null when missing)', async () => {
    const model = await load('xgboost');
    opened.push(model);
    const p = parity('xgboost');
    const i = p.rows.findIndex((r) => r.includes(null));
    const top = model.explain(toVector(p.rows[i]!), 3);
    expect(top.length).toBeGreaterThan(0);
    expect(top.length).toBeLessThanOrEqual(3);
    for (let k = 1; k < top.length; k++) {
      expect(Math.abs(top[k - 1]!.contribution)).toBeGreaterThanOrEqual(Math.abs(top[k]!.contribution));
    }
    for (const c of top) {
      const j = p.feature_names.indexOf(c.feature);
      expect(c.value).toBe(p.rows[i]![j]);
    }
  });

  it('a missing directory is a clear FRAUD_MODEL_UNAVAILABLE', async () => {
    const err = await loadModel('/nonexistent/model').catch((e: unknown) => e);
    expect(isFraudError(err) && err.code).toBe('FRAUD_MODEL_UNAVAILABLE');
  });

  it('logit of the served probability equals the native margin', async () => {
    const model = await load('logreg');
    opened.push(model);
    const p = parity('logreg');
    const s = await model.score([toVector(p.rows[0]!)]);
    expect(logit(s[0]!)).toBeCloseTo(p.python_margin[0]!, 4);
  });
});

describe('ModelWatcher: hot swap without restart', () => {
  it('swaps the slot when the model files change, and keeps the old model on a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-watch-'));
    try {
      cpSync(join(FIXTURES, 'logreg'), dir, { recursive: true });
      const slot: { current: OnnxModel | null } = { current: null };
      const swaps: [string | null, string | null][] = [];
      const errors: unknown[] = [];
      const watcher = new ModelWatcher({
        spec: dir,
        slot,
        intervalMs: 0,
        closeDelayMs: 0,
        loadOptions: { featureNames: parity('logreg').feature_names, featureSetVersion: 'fs-test' },
        onSwap: (a, b) => swaps.push([a, b]),
        onError: (e) => errors.push(e),
      });
      await watcher.start();
      const first = slot.current!.version;
      expect(first).toMatch(/^logreg-/);
      expect(await watcher.check()).toBe(false);

      // Deploy another model into the same directory (as a promotion to a watched dir would).
      cpSync(join(FIXTURES, 'xgboost'), dir, { recursive: true });
      const later = new Date(Date.now() + 5000);
      utimesSync(join(dir, 'model.json'), later, later);
      expect(await watcher.check()).toBe(true);
      expect(slot.current!.version).toMatch(/^xgboost-/);
      expect(swaps).toEqual([
        [null, first],
        [first, slot.current!.version],
      ]);

      // A broken deploy is reported and the running model stays.
      const running = slot.current;
      const broken = new Date(Date.now() + 10_000);
      cpSync(join(FIXTURES, 'lightgbm', 'model.json'), join(dir, 'model.json'));
      rmSync(join(dir, 'explain.json'));
      utimesSync(join(dir, 'model.json'), broken, broken);
      expect(await watcher.check()).toBe(false);
      expect(slot.current).toBe(running);
      expect(errors.length).toBe(1);
      await watcher.stop();
      await slot.current?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('swaps at once on a promotion message on the models topic (no polling)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-watch-bus-'));
    const bus = new MemoryBus({ partitions: 1 });
    try {
      await bus.ensureTopics([{ name: TOPICS.models, partitions: 1 }]);
      cpSync(join(FIXTURES, 'logreg'), dir, { recursive: true });
      const slot: { current: OnnxModel | null } = { current: null };
      const subscribe = vi.spyOn(bus, 'subscribe');
      const watcher = new ModelWatcher({
        spec: dir,
        slot,
        bus,
        intervalMs: 0,
        closeDelayMs: 0,
        loadOptions: { featureNames: parity('logreg').feature_names, featureSetVersion: 'fs-test' },
      });
      await watcher.start();
      expect(slot.current!.version).toMatch(/^logreg-/);
      // On Kafka an idle fetch is held 500 ms, yet a promotion is answered at once (WATCH_FETCH,
      // tested against the broker in tests/integration/adapters/bus-kafka.test.ts).
      expect(subscribe.mock.calls.map(([o]) => o.fetch)).toEqual([WATCH_FETCH]);
      cpSync(join(FIXTURES, 'lightgbm'), dir, { recursive: true });
      const later = new Date(Date.now() + 5000);
      utimesSync(join(dir, 'model.json'), later, later);
      // Give the watcher's subscription time to join before publishing (it starts at 'latest').
      await new Promise((r) => setTimeout(r, 100));
      await bus.publish(TOPICS.models, [
        {
          key: 'fraud-detector@champion',
          value: JSON.stringify(modelEvent('fraud-detector', 'champion', '2')),
        },
      ]);
      for (let i = 0; i < 100 && !slot.current!.version.startsWith('lightgbm-'); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(slot.current!.version).toMatch(/^lightgbm-/);
      await watcher.stop();
      await slot.current?.close();
    } finally {
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('startModelWatchers: an explicit bad model fails the start; a bad default is reported and skipped', async () => {
    const root = mkdtempSync(join(tmpdir(), 'model-root-'));
    try {
      // A "shipped default" trained on another feature set than the platform computes.
      cpSync(join(FIXTURES, 'xgboost'), join(root, 'models', 'default'), { recursive: true });
      const champion: { current: OnnxModel | null } = { current: null };
      const challenger: { current: OnnxModel | null } = { current: null };
      const errors: string[] = [];
      const w = await startModelWatchers({
        champion: null,
        challenger: null,
        championSlot: champion,
        challengerSlot: challenger,
        intervalMs: 0,
        loadOptions: { root },
        onError: (role, err) => errors.push(`${role}: ${(err as Error).message}`),
      });
      expect(champion.current).toBeNull();
      expect(errors.length).toBe(1);
      expect(errors[0]).toMatch(/^champion: .*feature set fs-test/);
      await w.stop();

      await expect(
        startModelWatchers({
          champion: join(FIXTURES, 'logreg'),
          challenger: null,
          championSlot: champion,
          challengerSlot: challenger,
          intervalMs: 0,
          loadOptions: { root },
        }),
      ).rejects.toThrow(/feature set fs-test/);

      const ok = await startModelWatchers({
        champion: null,
        challenger: join(FIXTURES, 'logreg'),
        championSlot: champion,
        challengerSlot: challenger,
        intervalMs: 0,
        loadOptions: { root, featureNames: parity('xgboost').feature_names, featureSetVersion: 'fs-test' },
      });
      expect(champion.current?.version).toMatch(/^xgboost-/);
      expect(challenger.current?.version).toMatch(/^logreg-/);
      await ok.stop();
      await champion.current?.close();
      await challenger.current?.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
