import type { Label } from '../../core/contracts/label.ts';

/**
 * Labels file written by `bin/fraud simulate --out` and `bin/fraud dataset import-labels`:
 *
 *   transaction_id,is_fraud,labeled_at,scenario
 *   tx_0000000042,1,2025-02-03T10:00:00.000Z,card_testing
 *
 * `is_fraud` is `1` or `0`; `labeled_at` is ISO-8601 UTC; `scenario` may be empty (imports).
 * Rows are in `labeled_at` order, the order in which the ground truth became known.
 */
export const LABELS_CSV_HEADER = 'transaction_id,is_fraud,labeled_at,scenario';

/** One CSV row (ids, timestamps and scenario names never contain commas or quotes). */
export function labelCsvRow(
  label: Pick<Label, 'transaction_id' | 'is_fraud' | 'labeled_at' | 'scenario'>,
): string {
  return `${label.transaction_id},${label.is_fraud ? 1 : 0},${label.labeled_at},${label.scenario ?? ''}`;
}

/** Orders labels as they became known; ties by transaction id, so output is deterministic. */
export function compareLabels(
  a: Pick<Label, 'labeled_at' | 'transaction_id'>,
  b: Pick<Label, 'labeled_at' | 'transaction_id'>,
): number {
  if (a.labeled_at !== b.labeled_at) return a.labeled_at < b.labeled_at ? -1 : 1;
  return a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0;
}

/**
 * Parses the labels file (the header may hold extra columns, in any order). Throws with the
 * line number on a malformed row: this file is produced by our tools, so damage is an error.
 */
export function parseLabelsCsv(text: string): Label[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  const [iTx, iFraud, iAt, iScenario] = [
    col('transaction_id'),
    col('is_fraud'),
    col('labeled_at'),
    col('scenario'),
  ];
  if (iTx < 0 || iFraud < 0 || iAt < 0) {
    throw new Error(
      `labels CSV header must have transaction_id,is_fraud,labeled_at; got '${lines[0] ?? ''}'`,
    );
  }
  const labels: Label[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === '') continue;
    const f = line.split(',');
    const fraud = f[iFraud]?.trim().toLowerCase();
    const isFraud =
      fraud === '1' || fraud === 'true' ? true : fraud === '0' || fraud === 'false' ? false : null;
    const at = f[iAt]?.trim() ?? '';
    if (!f[iTx] || isFraud === null || Number.isNaN(Date.parse(at))) {
      throw new Error(
        `labels CSV line ${n + 1}: expected transaction_id,is_fraud(1|0),labeled_at; got '${line}'`,
      );
    }
    const label: Label = { transaction_id: f[iTx]!.trim(), is_fraud: isFraud, labeled_at: at };
    const scenario = iScenario >= 0 ? f[iScenario]?.trim() : undefined;
    if (scenario) label.scenario = scenario;
    labels.push(label);
  }
  return labels;
}
