import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExplainer, type ExplainJson } from '../../../src/adapters/model-onnx/explain.ts';

/*
 * The served TreeSHAP memoises each leaf's terms per agreement pattern. It must give the same
 * contributions as the textbook recursion on every row, including rows with missing values and
 * rows that reuse memoised patterns.
 */
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

function rows(n: number, width: number, seed: number): Float64Array[] {
  let s = seed;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  return Array.from({ length: n }, () =>
    Float64Array.from({ length: width }, () =>
      rand() < 0.1 ? Number.NaN : (rand() - 0.3) * 10 ** (rand() * 4),
    ),
  );
}

describe.each(['xgboost', 'lightgbm'])('memoised TreeSHAP (%s)', (algo) => {
  const json = JSON.parse(readFileSync(join(FIXTURES, algo, 'explain.json'), 'utf8')) as ExplainJson;
  const parity = JSON.parse(readFileSync(join(FIXTURES, algo, 'parity.json'), 'utf8')) as {
    rows: (number | null)[][];
  };

  it('equals the textbook recursion on random and parity rows, first and second time', () => {
    const explainer = createExplainer(json);
    const width = json.features.length;
    const inputs = [
      ...parity.rows.map((r) => Float64Array.from(r, (v) => (v === null ? Number.NaN : v))),
      ...rows(300, width, 42),
    ];
    let worst = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (const x of inputs) {
        const fast = explainer.attribute(x);
        const ref = explainer.attributeReference!(x);
        expect(fast.bias).toBe(ref.bias);
        for (let j = 0; j < width; j++) {
          worst = Math.max(worst, Math.abs(fast.contributions[j]! - ref.contributions[j]!));
        }
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('contributions sum to the margin', () => {
    const explainer = createExplainer(json);
    for (const x of rows(50, json.features.length, 7)) {
      const a = explainer.attribute(x);
      const sum = a.contributions.reduce((s, v) => s + v, a.bias);
      expect(sum).toBeCloseTo(explainer.margin(x), 6);
    }
  });
});
