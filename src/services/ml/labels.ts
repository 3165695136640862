import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Label, TOPICS, validators } from '../../core/contracts/index.ts';
import { BULK_FETCH, type EventBus } from '../../ports/index.ts';
import { readLabels } from '../backfill/index.ts';

/**
 * The label store of the feedback loop (issue 5, item 9): analysts' verdicts and delayed
 * chargebacks, from the `labels` topic or a CSV, accumulate in one append-only JSONL file
 * under the data directory (`<dataDir>/labels/labels.jsonl`). Append-only keeps every
 * verdict (an analyst can reverse a chargeback); readers take the latest per transaction
 * by `labeled_at`. `bin/fraud retrain` exports it as a labels CSV for the backfill.
 */
export class FileLabelStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'labels', 'labels.jsonl');
  }

  /** Appends valid labels; returns the invalid ones with the reason (nothing is lost silently). */
  async append(
    labels: readonly unknown[],
  ): Promise<{ added: number; rejected: { label: unknown; reason: string }[] }> {
    const rejected: { label: unknown; reason: string }[] = [];
    let text = '';
    let added = 0;
    for (const l of labels) {
      if (validators.label(l)) {
        text += `${JSON.stringify(l)}\n`;
        added++;
      } else {
        rejected.push({
          label: l,
          reason:
            validators.label.errors?.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ') ??
            'invalid',
        });
      }
    }
    if (text) {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, text);
    }
    return { added, rejected };
  }

  /** Imports a labels CSV (`transaction_id,is_fraud,labeled_at`), tagging the source. */
  async importCsv(path: string, source: Label['source'] = 'import'): Promise<{ added: number; bad: number }> {
    const labels: Label[] = [];
    const r = await readLabels(path, (id, isFraud, at) => {
      labels.push({
        transaction_id: id,
        is_fraud: isFraud,
        labeled_at: new Date(at).toISOString(),
        ...(source ? { source } : {}),
      });
    });
    const { added } = await this.append(labels);
    return { added, bad: r.bad };
  }

  /** Every label, latest per transaction by labeled_at. */
  async latest(): Promise<Map<string, Label>> {
    const out = new Map<string, Label>();
    if (!existsSync(this.path)) return out;
    const text = await readFile(this.path, 'utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      let l: Label;
      try {
        l = JSON.parse(line) as Label;
      } catch {
        continue; // a torn last line after a crash: the complete lines still count
      }
      const prev = out.get(l.transaction_id);
      if (!prev || Date.parse(l.labeled_at) >= Date.parse(prev.labeled_at)) out.set(l.transaction_id, l);
    }
    return out;
  }

  /** Writes the store (plus optional extra labels CSVs) as one labels CSV for the backfill and trainer. */
  async exportCsv(out: string, extraCsv: readonly string[] = []): Promise<number> {
    const merged = await this.latest();
    for (const path of extraCsv) {
      await readLabels(path, (id, isFraud, at) => {
        const prev = merged.get(id);
        if (!prev || at >= Date.parse(prev.labeled_at)) {
          merged.set(id, { transaction_id: id, is_fraud: isFraud, labeled_at: new Date(at).toISOString() });
        }
      });
    }
    const lines = ['transaction_id,is_fraud,labeled_at'];
    for (const l of merged.values()) lines.push(`${l.transaction_id},${l.is_fraud},${l.labeled_at}`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${lines.join('\n')}\n`);
    return merged.size;
  }

  /**
   * Consumes the `labels` topic into the store until `signal` aborts (consumer group
   * `label-store`, at-least-once: a label appended twice is harmless, latest wins).
   */
  async consume(
    bus: EventBus,
    signal: AbortSignal,
    onReject?: (raw: string, reason: string) => void,
  ): Promise<number> {
    const sub = await bus.subscribe({
      groupId: 'label-store',
      topics: [TOPICS.labels],
      from: 'earliest',
      fetch: BULK_FETCH,
    });
    signal.addEventListener('abort', () => void sub.close(), { once: true });
    let total = 0;
    for (;;) {
      const batch = await sub.next();
      if (batch === null) return total;
      const parsed: unknown[] = [];
      for (const r of batch) {
        const raw = r.value.toString('utf8');
        try {
          parsed.push(JSON.parse(raw));
        } catch {
          onReject?.(raw, 'not JSON');
        }
      }
      const { added, rejected } = await this.append(parsed);
      for (const x of rejected) onReject?.(JSON.stringify(x.label), x.reason);
      total += added;
      await sub.commit(batch);
    }
  }
}
