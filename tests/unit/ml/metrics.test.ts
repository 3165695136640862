import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  cardPrecisionAtK,
  evaluateScores,
  recallAtFpr,
  rocAuc,
  type ScoredRow,
  thresholdAtFpr,
} from '../../../src/services/ml/index.ts';

const rows = (pairs: [number, boolean][]): ScoredRow[] => pairs.map(([score, fraud]) => ({ score, fraud }));

describe('fraud metrics (same definitions as ml/training/metrics.py)', () => {
  it('ROC AUC is the probability a fraud outranks a legitimate transaction (ties count half)', () => {
    expect(
      rocAuc(
        rows([
          [0.9, true],
          [0.8, false],
          [0.7, true],
          [0.1, false],
        ]),
      ),
    ).toBe(0.75);
    expect(
      rocAuc(
        rows([
          [0.5, true],
          [0.5, false],
        ]),
      ),
    ).toBe(0.5);
  });

  it('average precision follows scikit-learn (step-wise, no interpolation)', () => {
    // Ranked: F, L, F, L -> precision at the recalls 0.5 and 1.0 are 1 and 2/3.
    expect(
      averagePrecision(
        rows([
          [0.9, true],
          [0.8, false],
          [0.7, true],
          [0.1, false],
        ]),
      ),
    ).toBeCloseTo((1 + 2 / 3) / 2, 12);
  });

  it('the FPR threshold flags at most the allowed share of legitimate transactions', () => {
    const data: ScoredRow[] = [];
    for (let i = 0; i < 1000; i++) data.push({ score: i / 2000, fraud: false });
    for (let i = 0; i < 10; i++) data.push({ score: 0.9, fraud: true });
    const t = thresholdAtFpr(data, 0.01);
    expect(data.filter((r) => !r.fraud && r.score >= t).length).toBe(10);
    expect(recallAtFpr(data, 0.01)).toBe(1);
  });

  it('card precision@k is per day over cards (max score per card), averaged over days', () => {
    const r: ScoredRow[] = [
      { score: 0.9, fraud: true, day: 'd1', card: 'a' },
      { score: 0.1, fraud: false, day: 'd1', card: 'a' },
      { score: 0.8, fraud: false, day: 'd1', card: 'b' },
      { score: 0.2, fraud: false, day: 'd1', card: 'c' },
      { score: 0.7, fraud: true, day: 'd2', card: 'd' },
      { score: 0.6, fraud: true, day: 'd2', card: 'e' },
    ];
    expect(cardPrecisionAtK(r, 2)).toBe(0.75);
  });

  it('counts the confusion matrix at the threshold', () => {
    const m = evaluateScores(
      rows([
        [0.9, true],
        [0.4, true],
        [0.6, false],
        [0.1, false],
        [0.2, false],
      ]),
      0.5,
    );
    expect(m.confusion).toEqual({ tp: 1, fp: 1, fn: 1, tn: 2 });
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBe(0.5);
    expect(m.fpr).toBeCloseTo(1 / 3, 12);
    expect(m.card_precision_at_k).toBeUndefined();
  });

  it('puts the FPR threshold half-way to the next score, so tied rows cannot flip by rounding', () => {
    const data: ScoredRow[] = [
      { score: 0.9, fraud: false },
      { score: 0.5, fraud: false },
      { score: 0.95, fraud: true },
    ];
    for (let i = 0; i < 98; i++) data.push({ score: 0.3, fraud: false });
    expect(thresholdAtFpr(data, 0.02)).toBeCloseTo(0.4, 12);
  });
});
