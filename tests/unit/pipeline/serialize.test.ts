import { describe, expect, it } from 'vitest';
import { validators } from '../../../src/core/contracts/index.ts';
import { FEATURE_NAMES, featuresToRecord, namedFeatures } from '../../../src/core/features/index.ts';
import {
  alertJson,
  ENRICHED_FEATURE_FORMS,
  enrichedJson,
  enrichedJson as enrichedJsonIn,
  scoreJson,
} from '../../../src/core/pipeline/index.ts';
import { embeddedPlatform, stream } from '../../support/platform.ts';

describe('hot-path serialisers', () => {
  it('write records that satisfy the closed topic schemas (no field more, none less), the enriched one equal to JSON.stringify', async () => {
    const platform = await embeddedPlatform();
    const txs = stream(300, 7);
    const results = await platform.engine.decide(txs);
    for (const r of results) {
      expect(JSON.parse(scoreJson(r.score))).toEqual(JSON.parse(JSON.stringify(r.score)));
      expect(validators.score(JSON.parse(scoreJson(r.score)))).toBe(true);
      if (r.alert) {
        expect(JSON.parse(alertJson(r.alert))).toEqual(JSON.parse(JSON.stringify(r.alert)));
        expect(validators.alert(JSON.parse(alertJson(r.alert)))).toBe(true);
      }
      const text = JSON.stringify(r.transaction);
      const named = JSON.parse(enrichedJson(text, r.features, r.score.decided_at, 'named'));
      expect(named).toEqual(JSON.parse(JSON.stringify(r.enriched)));
      expect(validators.enriched(named)).toBe(true);
      // The default form: the same values in catalogue order, named back by the feature set.
      const vector = JSON.parse(enrichedJson(text, r.features, r.score.decided_at));
      expect(vector.features).toHaveLength(FEATURE_NAMES.length);
      expect(namedFeatures(vector.features, vector.feature_set_version)).toEqual(named.features);
      expect({ ...vector, features: null }).toEqual({ ...named, features: null });
      expect(validators.enriched(vector)).toBe(true);
    }
    await platform.close();
  });

  it('writes missing and non-finite features as null, every catalogued feature by name or in catalogue order', () => {
    const v = new Float64Array(FEATURE_NAMES.length).fill(Number.NaN);
    v[0] = 1.5;
    if (v.length > 1) v[1] = Number.POSITIVE_INFINITY;
    const parsed = JSON.parse(enrichedJson('{"a":1}', v, '2025-01-01T00:00:00.000Z', 'named'));
    expect(Object.keys(parsed.features)).toEqual([...FEATURE_NAMES]);
    const vector = JSON.parse(enrichedJson('{"a":1}', v, '2025-01-01T00:00:00.000Z')).features;
    expect(vector).toEqual([1.5, ...new Array(FEATURE_NAMES.length - 1).fill(null)]);
    expect(parsed.features[FEATURE_NAMES[0]!]).toBe(1.5);
    expect(
      Object.values(parsed.features)
        .slice(1)
        .every((x) => x === null),
    ).toBe(true);
    expect(featuresToRecord(v)[FEATURE_NAMES[0]!]).toBe(1.5);
  });
});

describe('featuresJson number text', () => {
  it('writes every value exactly as JSON.stringify does, small integers included', async () => {
    const { featuresJson } = await import('../../../src/core/pipeline/index.ts');
    const { FEATURE_COUNT } = await import('../../../src/core/features/index.ts');
    const samples = [
      0,
      -0,
      1,
      7,
      1023,
      1024,
      4096,
      -1,
      -3,
      0.5,
      1e21,
      1e-7,
      123.456,
      2 ** 31,
      2 ** 53,
      NaN,
      Infinity,
    ];
    for (const x of samples) {
      const v = new Float64Array(FEATURE_COUNT).fill(x);
      const text = JSON.stringify(Number.isFinite(x) ? x : null);
      expect(featuresJson(v, 'named')).toBe(
        `{${FEATURE_NAMES.map((n) => `${JSON.stringify(n)}:${text}`).join(',')}}`,
      );
      expect(featuresJson(v)).toBe(`[${FEATURE_NAMES.map(() => text).join(',')}]`);
    }
  });
});

describe('encodeValues', () => {
  it('encodes each string as its own UTF-8 bytes (views of one allocation) and passes buffers through', async () => {
    const { encodeValues } = await import('../../../src/core/pipeline/index.ts');
    const raw = Buffer.from('raw');
    const values = ['{"a":1}', 'ção ✓ 😀', '', raw, 'x'.repeat(5000)];
    const out = encodeValues(values);
    expect(out.map((b) => b.toString('utf8'))).toEqual(['{"a":1}', 'ção ✓ 😀', '', 'raw', 'x'.repeat(5000)]);
    expect(out[3]).toBe(raw);
    expect(out[0]!.buffer).toBe(out[4]!.buffer);
    expect(out[1]!.length).toBe(Buffer.byteLength('ção ✓ 😀'));
  });
});

describe('EnrichedEncoder (enriched records as bytes, for the processor)', () => {
  const at = '2026-11-27T06:30:00.123Z';
  const samples = [
    0,
    -0,
    1,
    9,
    10,
    99,
    100,
    999,
    1000,
    1023,
    1024,
    -1,
    0.5,
    1e21,
    1e-7,
    2 ** 53,
    -1.2345678901234567e-308,
  ];

  for (const form of ENRICHED_FEATURE_FORMS)
    it(`writes the same bytes as enrichedJson for every kind of value, and for decided transactions (${form})`, async () => {
      const { EnrichedEncoder } = await import('../../../src/core/pipeline/index.ts');
      const { FEATURE_COUNT } = await import('../../../src/core/features/index.ts');
      const encoder = new EnrichedEncoder(form);
      const enrichedJson = (t: string, v: Float64Array, at: string) => enrichedJsonIn(t, v, at, form);
      const raw = '{"transaction_id":"tx_1","merchant_category":"caf\u00e9 \u2713 \ud83d\ude00"}';
      for (const x of [...samples, NaN, Infinity, -Infinity]) {
        const v = new Float64Array(FEATURE_COUNT).fill(x);
        const bytes = encoder.encode(Buffer.from(raw), v, at);
        expect(bytes.toString('utf8')).toBe(enrichedJson(raw, v, at));
        expect(bytes.equals(Buffer.from(enrichedJson(raw, v, at)))).toBe(true);
      }
      // Mixed vectors: small integers are written digit by digit, every other value in order
      // from one JSON text of them all, so each kind must land in its own feature.
      const kinds = [...samples, NaN, Infinity, -Infinity, 0, 7, 42, 999, 1000, -1];
      let seed = 7;
      for (let n = 0; n < 200; n++) {
        const v = new Float64Array(FEATURE_COUNT);
        for (let i = 0; i < v.length; i++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          v[i] = kinds[seed % kinds.length]!;
        }
        expect(encoder.encode(Buffer.from(raw), v, at).toString('utf8')).toBe(enrichedJson(raw, v, at));
      }
      const platform = await embeddedPlatform();
      const results = await platform.engine.decide(stream(300, 11));
      encoder.reset();
      for (const r of results) {
        const text = JSON.stringify(r.transaction);
        expect(encoder.encode(Buffer.from(text), r.features, r.score.decided_at).toString()).toBe(
          enrichedJson(text, r.features, r.score.decided_at),
        );
      }
      await platform.close();
    });

  it('keeps the records of a batch intact when it outgrows its buffer; reset reuses it, detach leaves it', async () => {
    const { EnrichedEncoder } = await import('../../../src/core/pipeline/index.ts');
    const { FEATURE_COUNT } = await import('../../../src/core/features/index.ts');
    const encoder = new EnrichedEncoder('vector', 4096);
    const vectors = samples.map((x) => new Float64Array(FEATURE_COUNT).fill(x));
    const batch = vectors.map((v, i) => encoder.encode(Buffer.from(`{"i":${i}}`), v, at));
    const expected = vectors.map((v, i) => enrichedJson(`{"i":${i}}`, v, at));
    expect(batch.map((b) => b.toString())).toEqual(expected);
    // The batch spanned several buffers; reset writes the next batch over the newest one.
    const last = batch.at(-1)!;
    const firstOfNewest = batch.findIndex((b) => b.buffer === last.buffer);
    expect(firstOfNewest).toBeGreaterThan(0);
    encoder.reset();
    encoder.encode(Buffer.from('{"next":1}'), vectors[0]!, at);
    expect(batch[firstOfNewest]!.toString()).not.toBe(expected[firstOfNewest]);
    expect(batch[0]!.toString()).toBe(expected[0]);
    // After detach, records already handed out are never overwritten.
    encoder.reset();
    const kept = encoder.encode(Buffer.from('{"kept":1}'), vectors[1]!, at);
    encoder.detach();
    encoder.encode(Buffer.from('{"other":1}'), vectors[2]!, at);
    expect(kept.toString()).toBe(enrichedJson('{"kept":1}', vectors[1]!, at));
  });
});
