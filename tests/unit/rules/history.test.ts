import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, FEATURE_SET_VERSION, featuresToRecord } from '../../../src/core/features/index.ts';
import { enrichedJson } from '../../../src/core/pipeline/index.ts';
import { readHistory } from '../../../src/services/rules-engine/backtest.ts';
import { tx } from '../../support/platform.ts';

const at = '2025-01-29T12:00:01.000Z';

function history(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'history-')), 'history.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('readHistory (the backtest input)', () => {
  const vector = new Float64Array(FEATURE_NAMES.length).map((_, i) => (i % 3 === 0 ? Number.NaN : i / 4));
  const named = featuresToRecord(vector);

  it('reads recorded features in either enriched form, by name', async () => {
    const file = history([
      JSON.stringify(tx({ transaction_id: 'plain' })),
      enrichedJson(JSON.stringify(tx({ transaction_id: 'as_vector' })), vector, at, 'vector'),
      enrichedJson(JSON.stringify(tx({ transaction_id: 'as_named' })), vector, at, 'named'),
    ]);
    const { records, rejected } = await readHistory(file);
    expect(rejected).toEqual([]);
    const byId = new Map(records.map((r) => [r.transaction.transaction_id, r]));
    expect(byId.get('plain')!.features).toBeUndefined();
    expect(byId.get('as_vector')!.features).toEqual(named);
    expect(byId.get('as_named')!.features).toEqual(named);
  });

  it('rejects, with the reason, a vector of a feature set this build cannot name, and keeps the other lines', async () => {
    const other = JSON.parse(
      enrichedJson(JSON.stringify(tx({ transaction_id: 'old' })), vector, at, 'vector'),
    );
    other.feature_set_version = 'fs-0-older';
    const file = history([JSON.stringify(other), JSON.stringify(tx({ transaction_id: 'kept' }))]);
    const { records, rejected } = await readHistory(file);
    expect(records.map((r) => r.transaction.transaction_id)).toEqual(['kept']);
    expect(rejected).toEqual([
      {
        line: 1,
        message: `features recorded as a vector of feature set 'fs-0-older'; this build names only '${FEATURE_SET_VERSION}'`,
      },
    ]);
  });
});
