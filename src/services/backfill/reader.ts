/*
 * Backfill reader (runs on the I/O thread): reads the history, splits lines, parses and
 * validates each one against the `transactions` contract, and hands the engine thread only
 * what the engine needs of the good transactions (see ParsedBatch), the CSV id cells already
 * built, and the bad lines with their line numbers. Parsing and validating cost about as much
 * as the engine, so doing them here lets the engine thread spend its time on the engine.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Transaction } from '../../core/contracts/index.ts';
import { quickAccept } from '../../core/contracts/quick-check.ts';
import type { ParseResult } from '../../core/contracts/validate.ts';
import { countryCode, eventTime, hash53 } from '../../core/features/index.ts';
import { backfillPrefix } from './csv.ts';
import { lineChunks } from './lines.ts';
import type { ParsedBatch, ParseWorkerData } from './pipeline.ts';

/** Reads `data.input` and posts ParsedBatch messages on `port`, at most maxInFlight unacknowledged. */
export async function runReader(port: MessagePort, data: ParseWorkerData): Promise<void> {
  const { input, maxInFlight } = data;
  let inFlight = 0;
  let checkTransaction: ((value: unknown) => ParseResult) | undefined;
  let wake: (() => void) | null = null;
  port.on('message', (m: 'ack') => {
    if (m === 'ack') {
      inFlight--;
      wake?.();
      wake = null;
    }
  });

  try {
    let n = 0;
    for await (const chunk of lineChunks(input)) {
      const ids: string[] = [];
      const nums: number[] = [];
      let prefixes = '';
      const bad: ParsedBatch['bad'] = [];
      for (const raw of chunk) {
        n++;
        if (raw.length === 0 || raw.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch (err) {
          bad.push({ line: n, reason: `not JSON: ${(err as Error).message}` });
          continue;
        }
        let tx: Transaction;
        if (quickAccept(value)) tx = value;
        else {
          // Not the plain shape: the contract validator decides, and explains a rejection.
          // Loaded on first use: compiling it costs ~0.3 s the common case never needs.
          checkTransaction ??= (await import('../../core/contracts/validate.ts')).checkTransaction;
          const parsed = checkTransaction(value);
          if (!parsed.ok) {
            bad.push({ line: n, reason: parsed.error.message });
            continue;
          }
          tx = parsed.transaction;
        }
        // Layout: see ParsedBatch in pipeline.ts.
        ids.push(
          tx.transaction_id,
          tx.card_id,
          tx.customer_id,
          tx.merchant_id,
          tx.merchant_category,
          tx.device_id,
          tx.ip_address,
        );
        nums.push(
          eventTime(tx.timestamp),
          hash53(tx.transaction_id),
          tx.amount,
          countryCode(tx.merchant_country),
          tx.card_present ? 1 : 0,
        );
        prefixes += `${backfillPrefix(tx)}\n`;
      }
      // Bounded hand-over: at most `maxInFlight` chunks (~1 MB each) wait for the engine.
      while (inFlight >= maxInFlight) await new Promise<void>((r) => (wake = r));
      inFlight++;
      const numbers = new Float64Array(nums);
      const batch: ParsedBatch = {
        kind: 'batch',
        lines: n,
        count: nums.length / 5,
        ids,
        numbers,
        prefixes,
        bad,
      };
      port.postMessage(batch, [numbers.buffer]);
    }
    port.postMessage({ kind: 'end', lines: n });
  } catch (err) {
    port.postMessage({ kind: 'error', message: (err as Error).message });
  }
}
