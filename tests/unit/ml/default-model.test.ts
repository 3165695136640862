import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type OnnxModel } from '../../../src/adapters/model-onnx/index.ts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '../../../src/core/features/index.ts';

/*
 * The shipped model (models/default, built by ml/build_default_model.sh). It must load with
 * the platform's current feature catalogue: when this fails after a catalogue change, the
 * default model must be retrained (the scorer refuses a feature set mismatch by design).
 */
const DIR = new URL('../../../models/default/', import.meta.url).pathname;

interface Parity {
  feature_names: string[];
  rows: (number | null)[][];
  python: number[];
  python_margin: number[];
}

describe('shipped default model', () => {
  let model: OnnxModel | null = null;
  afterAll(async () => {
    await model?.close();
  });

  it('is what loadModel(null) serves, on the current feature set', async () => {
    model = await loadModel(null, { root: new URL('../../../', import.meta.url).pathname });
    expect(model).not.toBeNull();
    expect(model!.metadata.feature_set_version).toBe(FEATURE_SET_VERSION);
    expect(model!.metadata.feature_names).toEqual([...FEATURE_NAMES]);
    expect(model!.thresholds.review).toBeLessThanOrEqual(model!.thresholds.block);
  });

  it('agrees with the Python predictions within 1e-5 on real simulated features (parity)', async () => {
    const p = JSON.parse(readFileSync(`${DIR}parity.json`, 'utf8')) as Parity;
    const vectors = p.rows.map((r) => Float64Array.from(r, (v) => (v === null ? Number.NaN : v)));
    const scores = await model!.score(vectors);
    let worst = 0;
    for (let i = 0; i < scores.length; i++) worst = Math.max(worst, Math.abs(scores[i]! - p.python[i]!));
    expect(worst).toBeLessThan(1e-5);
    // TreeSHAP over the exported trees sums to the model's own margin.
    for (let i = 0; i < 50; i++) {
      const a = model!.attribute(vectors[i]!);
      expect(Math.abs(a.contributions.reduce((s, c) => s + c, a.bias) - p.python_margin[i]!)).toBeLessThan(
        1e-4,
      );
    }
  });
});
