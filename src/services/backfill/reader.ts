/*
 * Backfill reader (runs on the I/O thread): reads the history as bytes, splits lines, checks
 * each one against the `transactions` contract, and hands the engine thread only numbers: per
 * good transaction its event time, id hash, amount, country code and card_present, and the
 * small integer ids of its six entities (numbered here at first sight, see scan.ts), plus the
 * names' hashes of the ids new in the batch. All of it in typed arrays moved, not copied,
 * between threads. The CSV id cells never leave this thread: they wait, as bytes, in a queue
 * the writer (same thread) takes them from when the batch's vectors come back.
 *
 * A line in the plain shape is read on its bytes (scan.ts); any other line is decoded and takes
 * the general path: JSON.parse, the quick contract check, the contract validator, which
 * decides and words every rejection.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { MessagePort } from 'node:worker_threads';
import type { Transaction } from '../../core/contracts/index.ts';
import { quickAccept } from '../../core/contracts/quick-check.ts';
import type { ParseResult } from '../../core/contracts/validate.ts';
import { countryCode, ENTITY_KINDS, eventTime, hash53, mayBePending } from '../../core/features/reduce.ts';
import { backfillPrefix } from './csv-bytes.ts';
import type { ParsedBatch, ParseWorkerData } from './pipeline.ts';
import {
  ENTITY_FIELDS,
  EntityIds,
  F_CARD,
  F_CUSTOMER,
  F_MERCHANT,
  F_TIMESTAMP,
  F_TRANSACTION,
  hash53Bytes,
  ScannedLine,
  scanTransaction,
} from './scan.ts';

/** The CSV id cells of a batch's rows: row r is bytes [ends[r-1] (or 0), ends[r]) of `bytes`. */
export interface PrefixBatch {
  readonly bytes: Buffer;
  readonly ends: Int32Array;
}

/** Numbers per transaction in ParsedBatch.numbers. */
export const NUMBERS = 5;
/** Entity ids per transaction in ParsedBatch.ids (ENTITY_KINDS order). */
export const IDS = ENTITY_KINDS.length;

/** Buffers for new batches: those the engine and the writer are done with, reused. */
class Spares {
  numbers: Float64Array<ArrayBuffer>[] = [];
  ids: Int32Array<ArrayBuffer>[] = [];
  readonly prefixes: Buffer[];
  constructor(prefixes: Buffer[]) {
    this.prefixes = prefixes;
  }
}

/** One chunk's worth of transactions being built. */
class BatchBuilder {
  count = 0;
  numbers: Float64Array<ArrayBuffer>;
  ids: Int32Array<ArrayBuffer>;
  ends: Int32Array;
  prefix: Buffer;
  used = 0;
  readonly bad: ParsedBatch['bad'] = [];

  constructor(rows: number, spares: Spares) {
    const numbers = spares.numbers.pop();
    this.numbers =
      numbers !== undefined && numbers.length >= rows * NUMBERS ? numbers : new Float64Array(rows * NUMBERS);
    const ids = spares.ids.pop();
    this.ids = ids !== undefined && ids.length >= rows * IDS ? ids : new Int32Array(rows * IDS);
    this.ends = new Int32Array(this.numbers.length / NUMBERS);
    this.prefix = spares.prefixes.pop() ?? Buffer.allocUnsafe(rows * 96);
  }

  /** Starts a row: room for it and `prefixBytes` more bytes of id cells. */
  row(prefixBytes: number): number {
    const r = this.count;
    if (r === this.ends.length || (r + 1) * IDS > this.ids.length) {
      const n = r * 2;
      const numbers = new Float64Array(n * NUMBERS);
      numbers.set(this.numbers.subarray(0, r * NUMBERS));
      this.numbers = numbers;
      const ids = new Int32Array(n * IDS);
      ids.set(this.ids.subarray(0, r * IDS));
      this.ids = ids;
      const ends = new Int32Array(n);
      ends.set(this.ends.subarray(0, r));
      this.ends = ends;
    }
    if (this.used + prefixBytes > this.prefix.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.prefix.length * 2, this.used + prefixBytes));
      this.prefix.copy(bigger, 0, 0, this.used);
      this.prefix = bigger;
    }
    return r;
  }

  /** Appends bytes [from, to) of src to the id cells, then a comma unless last. */
  cell(src: Uint8Array, from: number, to: number, last: boolean): void {
    const p = this.prefix;
    let u = this.used;
    for (let i = from; i < to; i++) p[u++] = src[i]!;
    if (!last) p[u++] = 44;
    this.used = u;
  }
}

/**
 * Reads `data.input` and posts ParsedBatch messages on `port`, at most maxInFlight
 * unacknowledged; pushes each batch's id cells on `prefixes` (in the same order) for the writer.
 * The first batch waits for the engine's pending-label filter.
 */
export async function runReader(
  port: MessagePort,
  data: ParseWorkerData,
  prefixes: PrefixBatch[],
  spentPrefixes: Buffer[],
): Promise<void> {
  const { input, maxInFlight } = data;
  let inFlight = 0;
  let checkTransaction: ((value: unknown) => ParseResult) | undefined;
  let wake: (() => void) | null = null;
  let filter: Uint32Array | null | undefined;
  const spares = new Spares(spentPrefixes);
  type Message =
    | { kind: 'ack'; numbers: Float64Array<ArrayBuffer>; ids: Int32Array<ArrayBuffer> }
    | { kind: 'filter'; bits: Uint32Array | null };
  port.on('message', (m: Message) => {
    if (m.kind === 'ack') {
      inFlight--;
      spares.numbers.push(m.numbers);
      spares.ids.push(m.ids);
    } else filter = m.bits;
    wake?.();
    wake = null;
  });
  const dicts = ENTITY_KINDS.map(() => new EntityIds());
  const line = new ScannedLine();
  let rowsHint = 4096;

  const post = async (b: BatchBuilder, lines: number) => {
    // Bounded hand-over: at most `maxInFlight` chunks (~1 MB each) wait for the engine.
    while (inFlight >= maxInFlight || filter === undefined) await new Promise<void>((r) => (wake = r));
    inFlight++;
    // New ids of the batch, with their names' hashes: (kind, id, hash) triples.
    const fresh = dicts.map((d) => d.takeNew());
    let nDefs = 0;
    for (const f of fresh) nDefs += f.length / 2;
    const defs = new Float64Array(nDefs * 3);
    let d = 0;
    for (let kind = 0; kind < fresh.length; kind++) {
      const f = fresh[kind]!;
      for (let j = 0; j < f.length; j += 2) {
        defs[d++] = kind;
        defs[d++] = f[j]!;
        defs[d++] = f[j + 1]!;
      }
    }
    // The transaction ids the engine needs: those a pending label may be waiting for.
    const flaggedRows: number[] = [];
    const flaggedIds: string[] = [];
    if (filter !== null) {
      for (let r = 0; r < b.count; r++) {
        if (!mayBePending(filter, b.numbers[r * NUMBERS + 1]!)) continue;
        const from = r === 0 ? 0 : b.ends[r - 1]!;
        const comma = b.prefix.indexOf(44, from);
        flaggedRows.push(r);
        flaggedIds.push(b.prefix.toString('latin1', from, comma));
      }
    }
    prefixes.push({ bytes: b.prefix, ends: b.ends });
    const batch: ParsedBatch = {
      kind: 'batch',
      lines,
      count: b.count,
      numbers: b.numbers,
      ids: b.ids,
      defs,
      flaggedRows,
      flaggedIds,
      bad: b.bad,
    };
    port.postMessage(batch, [b.numbers.buffer, b.ids.buffer, defs.buffer]);
    rowsHint = Math.max(rowsHint, b.count);
    // The numbers and ids went to the engine; the id cells wait for the writer.
  };

  /**
   * One line, bytes [from, to) of buf (line number n). Synchronous (a promise per line would
   * cost more than the scan); returns false, having done nothing, if the line needs the
   * contract validator and it is not loaded yet.
   */
  const take = (b: BatchBuilder, buf: Buffer, from: number, to: number, n: number): boolean => {
    if (to === from) return true;
    if (scanTransaction(buf, from, to, line)) {
      const { start, end } = line;
      const r = b.row(
        end[F_TRANSACTION]! -
          start[F_TRANSACTION]! +
          end[F_TIMESTAMP]! -
          start[F_TIMESTAMP]! +
          end[F_CARD]! -
          start[F_CARD]! +
          end[F_CUSTOMER]! -
          start[F_CUSTOMER]! +
          end[F_MERCHANT]! -
          start[F_MERCHANT]! +
          4,
      );
      const ids = b.ids;
      for (let k = 0; k < IDS; k++) {
        const f = ENTITY_FIELDS[k]!;
        ids[r * IDS + k] = dicts[k]!.idOfBytes(buf, start[f]!, end[f]!);
      }
      const nums = b.numbers;
      const o = r * NUMBERS;
      nums[o] = line.time;
      nums[o + 1] = hash53Bytes(buf, start[F_TRANSACTION]!, end[F_TRANSACTION]!);
      nums[o + 2] = line.amount;
      nums[o + 3] = line.country;
      nums[o + 4] = line.present ? 1 : 0;
      // CSV id cells: see backfillPrefix.
      b.cell(buf, start[F_TRANSACTION]!, end[F_TRANSACTION]!, false);
      b.cell(buf, start[F_TIMESTAMP]!, end[F_TIMESTAMP]!, false);
      b.cell(buf, start[F_CARD]!, end[F_CARD]!, false);
      b.cell(buf, start[F_CUSTOMER]!, end[F_CUSTOMER]!, false);
      b.cell(buf, start[F_MERCHANT]!, end[F_MERCHANT]!, true);
      b.ends[r] = b.used;
      b.count++;
      return true;
    }
    const raw = buf.toString('utf8', from, to);
    if (raw.trim() === '') return true;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      b.bad.push({ line: n, reason: `not JSON: ${(err as Error).message}` });
      return true;
    }
    let tx: Transaction;
    if (quickAccept(value)) tx = value;
    else {
      // Not the plain shape: the contract validator decides, and explains a rejection.
      if (checkTransaction === undefined) return false;
      const parsed = checkTransaction(value);
      if (!parsed.ok) {
        b.bad.push({ line: n, reason: parsed.error.message });
        return true;
      }
      tx = parsed.transaction;
    }
    const cells = Buffer.from(backfillPrefix(tx), 'utf8');
    const r = b.row(cells.length);
    const names = [
      tx.card_id,
      tx.customer_id,
      tx.merchant_id,
      tx.merchant_category,
      tx.device_id,
      tx.ip_address,
    ];
    for (let k = 0; k < IDS; k++) b.ids[r * IDS + k] = dicts[k]!.idOf(names[k]!);
    const o = r * NUMBERS;
    b.numbers[o] = eventTime(tx.timestamp);
    b.numbers[o + 1] = hash53(tx.transaction_id);
    b.numbers[o + 2] = tx.amount;
    b.numbers[o + 3] = countryCode(tx.merchant_country);
    b.numbers[o + 4] = tx.card_present ? 1 : 0;
    b.cell(cells, 0, cells.length, true);
    b.ends[r] = b.used;
    b.count++;
    return true;
  };
  const takeLine = async (b: BatchBuilder, buf: Buffer, from: number, to: number, n: number) => {
    if (take(b, buf, from, to, n)) return;
    // Loaded on first use: compiling it costs ~0.3 s the common case never needs.
    checkTransaction = (await import('../../core/contracts/validate.ts')).checkTransaction;
    take(b, buf, from, to, n);
  };

  const CHUNK = 1 << 20;
  let handle: FileHandle | undefined;
  try {
    handle = await open(input, 'r');
    let n = 0;
    // One read buffer, reused: the unfinished last line moves to its front before each read.
    let buf = Buffer.allocUnsafe(2 * CHUNK);
    let have = 0;
    let reads = 0;
    for (;;) {
      if (buf.length - have < CHUNK) {
        // A line longer than a chunk: room for it.
        const bigger = Buffer.allocUnsafe(have + 2 * CHUNK);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      // Small first reads: the engine thread starts on the first lines while the rest is read.
      const size = reads === 0 ? CHUNK >> 4 : reads === 1 ? CHUNK >> 2 : CHUNK;
      reads++;
      const { bytesRead } = await handle.read(buf, have, size, null);
      if (bytesRead === 0) break;
      const filled = have + bytesRead;
      const b = new BatchBuilder(rowsHint, spares);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1 && nl < filled; nl = buf.indexOf(10, start)) {
        n++;
        // CRLF tolerated, as lines.ts does.
        const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
        if (!take(b, buf, start, end, n)) await takeLine(b, buf, start, end, n);
        start = nl + 1;
      }
      buf.copyWithin(0, start, filled);
      have = filled - start;
      if (b.count > 0 || b.bad.length > 0) await post(b, n);
      else {
        spares.numbers.push(b.numbers);
        spares.ids.push(b.ids);
        spares.prefixes.push(b.prefix);
      }
    }
    if (have > 0) {
      // The last line, without a newline.
      const b = new BatchBuilder(1, spares);
      n++;
      await takeLine(b, buf, 0, have, n);
      await post(b, n);
    }
    port.postMessage({ kind: 'end', lines: n });
  } catch (err) {
    port.postMessage({ kind: 'error', message: (err as Error).message });
  } finally {
    await handle?.close();
  }
}
