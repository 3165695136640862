import type { Alert, Score } from '../contracts/index.ts';
import { FEATURE_NAMES, FEATURE_SET_VERSION } from '../features/index.ts';

/**
 * Serialisers for the pipeline's output topics, on the per-transaction hot path. Scores and
 * alerts are plain objects built in one place (the decision engine) with exactly their schema's
 * fields, and V8's own JSON.stringify writes them about twice as fast as a serialiser compiled
 * from the schema (1.3 vs 2.7 µs per score, Node 24). The enriched record splices the
 * transaction's original JSON (already validated against a closed schema, so it holds exactly
 * the contract's fields) instead of re-serialising it. A unit test checks every output against
 * the closed topic schemas.
 */
export const scoreJson = (score: Score): string => JSON.stringify(score);
export const alertJson = (alert: Alert): string => JSON.stringify(alert);

/**
 * How `enriched-transactions` records carry the feature vector (`FRAUD_ENRICHED_FEATURES`):
 * - `vector` (default): a JSON array in the catalogue order of the record's
 *   `feature_set_version` (the names: `FEATURE_NAMES`, docs/feature-catalogue.md);
 * - `named`: an object by feature name, self-describing.
 * The names are three quarters of a named record's ~2.3 KB, and on Kafka the bytes, more than the
 * computation, set how fast produce requests are acknowledged (docs/benchmarks.md, Pipeline).
 */
export type EnrichedFeatureForm = 'vector' | 'named';
export const ENRICHED_FEATURE_FORMS: readonly EnrichedFeatureForm[] = ['vector', 'named'];

const K = FEATURE_NAMES.length;

/** What precedes each value: `"name":` for the named form, a comma for the vector (none first). */
const separators = (form: EnrichedFeatureForm): string[] =>
  FEATURE_NAMES.map((n, i) => `${i === 0 ? '' : ','}${form === 'named' ? `${JSON.stringify(n)}:` : ''}`);
const SEPARATORS: Record<EnrichedFeatureForm, string[]> = {
  vector: separators('vector'),
  named: separators('named'),
};
const OPEN: Record<EnrichedFeatureForm, string> = { vector: '[', named: '{' };
const CLOSE: Record<EnrichedFeatureForm, string> = { vector: ']', named: '}' };

// Most features are small counts and flags: their text is looked up, not formatted.
const SMALL_INTS: readonly string[] = Array.from({ length: 1024 }, (_, i) => String(i));

// The records are assembled in one reused array of pieces and joined once: `+=` builds a rope
// of ~150 nodes per record (≈5 KB of garbage), and the bus then copies it flat again. At
// thousands of records a second that garbage paced the scavenges, and what each scavenge caught
// in flight was promoted, driving major GCs every few seconds (docs/benchmarks.md, Pipeline).
const pieces: string[] = new Array<string>(K * 2 + 5).fill('');

/** Writes the features' pieces into `pieces` from `at`, brackets included; returns the end. */
function putFeatures(vector: Float64Array, at: number, form: EnrichedFeatureForm): number {
  const sep = SEPARATORS[form];
  pieces[at++] = OPEN[form];
  for (let i = 0; i < K; i++) {
    const v = vector[i]!;
    pieces[at++] = sep[i]!;
    pieces[at++] =
      v >= 0 && v < 1024 && (v | 0) === v ? SMALL_INTS[v]! : Number.isFinite(v) ? String(v) : 'null';
  }
  pieces[at++] = CLOSE[form];
  return at;
}

/** The feature vector as JSON, in either form (NaN, i.e. missing, becomes null). */
export function featuresJson(vector: Float64Array, form: EnrichedFeatureForm = 'vector'): string {
  pieces.length = putFeatures(vector, 0, form);
  return pieces.join('');
}

const ENRICHED_SUFFIX = `,"feature_set_version":${JSON.stringify(FEATURE_SET_VERSION)},"enriched_at":"`;

/**
 * An `enriched-transactions` record. `transactionJson` is the transaction's JSON as received
 * (raw bytes from Kafka/HTTP) or re-serialised.
 */
export function enrichedJson(
  transactionJson: string,
  vector: Float64Array,
  enrichedAt: string,
  form: EnrichedFeatureForm = 'vector',
): string {
  pieces[0] = `{"transaction":${transactionJson},"features":`;
  let at = putFeatures(vector, 1, form);
  pieces[at++] = ENRICHED_SUFFIX;
  pieces[at++] = enrichedAt;
  pieces[at++] = '"}';
  pieces.length = at;
  return pieces.join('');
}

const utf8 = new TextEncoder();
const ENRICHED_HEAD = utf8.encode('{"transaction":');
const FEATURES_KEY = utf8.encode(',"features":');
const SUFFIX_BYTES = utf8.encode(ENRICHED_SUFFIX);
/** The longest text `String(number)` gives: `-1.2345678901234567e-308`. */
const MAX_NUMBER_BYTES = 24;

/**
 * Writes `enriched-transactions` records as UTF-8 bytes straight into one reused buffer, the
 * same bytes as `enrichedJson` (a unit test holds them equal). The processor writes one record
 * per transaction: built as strings, that was the largest allocation of the decision loop, and
 * with its joins the largest CPU item after the model (docs/benchmarks.md, Pipeline). The
 * records are views of the buffer: they are valid until `reset`, which the caller calls only
 * once the bus holds them (the in-process bus copies them; Kafka has acked).
 */
export class EnrichedEncoder {
  private slab: Buffer;
  private at = 0;
  private readonly others: number[] = [];
  private readonly open: Uint8Array;
  private readonly close: Uint8Array;
  // Every separator, back to back, and where each starts: copied byte by byte, which for
  // ~20-byte runs beats a native copy's call overhead.
  private readonly separatorBytes: Uint8Array;
  private readonly separatorAt = new Int32Array(K + 1);
  private readonly boundWithoutTransaction: number;

  constructor(form: EnrichedFeatureForm = 'vector', initialBytes = 1 << 20) {
    this.slab = Buffer.allocUnsafeSlow(initialBytes);
    const sep = SEPARATORS[form];
    this.open = utf8.encode(OPEN[form]);
    this.close = utf8.encode(CLOSE[form]);
    this.separatorBytes = utf8.encode(sep.join(''));
    for (let i = 0, at = 0; i <= K; i++) {
      this.separatorAt[i] = at;
      at += i < K ? utf8.encode(sep[i]!).length : 0;
    }
    this.boundWithoutTransaction =
      ENRICHED_HEAD.length +
      FEATURES_KEY.length +
      this.open.length +
      this.separatorBytes.length +
      K * MAX_NUMBER_BYTES +
      this.close.length +
      SUFFIX_BYTES.length +
      2;
  }

  /** Starts a new batch, reusing the buffer: the previous batch's records must no longer be read. */
  reset(): void {
    this.at = 0;
  }

  /**
   * Leaves the current buffer to the records already handed out (they stay valid for good) and
   * writes the next ones into a new one: for when a send may still hold them, e.g. after a
   * timed-out attempt.
   */
  detach(): void {
    this.slab = Buffer.allocUnsafeSlow(this.slab.length);
    this.at = 0;
  }

  /**
   * One record. `transaction` is the transaction's JSON as valid UTF-8 (the raw bytes from Kafka
   * or HTTP, when they are); `enrichedAt` is an ISO-8601 timestamp (ASCII).
   */
  encode(transaction: Uint8Array, vector: Float64Array, enrichedAt: string): Buffer {
    const bound = this.boundWithoutTransaction + transaction.length + enrichedAt.length;
    if (this.at + bound > this.slab.length) {
      // Records already handed out keep the old buffer alive; the next batch reuses this one.
      this.slab = Buffer.allocUnsafeSlow(Math.max(2 * this.slab.length, bound));
      this.at = 0;
    }
    const out = this.slab;
    const start = this.at;
    // The other values (fractions, large or negative numbers, non-finite) are written by one
    // JSON.stringify of them all, which prints each double straight into its result (same text
    // as String(v)). String(v) per value put each string in V8's number-string cache, which kept
    // it past the next scavenge: ~250 B of old-generation garbage per record.
    const others = this.others;
    others.length = 0;
    for (let i = 0; i < K; i++) if (!isSmallCount(vector[i]!)) others.push(vector[i]!);
    const text = others.length === 0 ? '' : JSON.stringify(others);
    const separatorBytes = this.separatorBytes;
    const separatorAt = this.separatorAt;
    let t = 1; // past '['
    let o = put(out, start, ENRICHED_HEAD);
    out.set(transaction, o);
    o = put(out, o + transaction.length, FEATURES_KEY);
    o = put(out, o, this.open);
    for (let i = 0; i < K; i++) {
      for (let j = separatorAt[i]!, end = separatorAt[i + 1]!; j < end; j++) out[o++] = separatorBytes[j]!;
      const v = vector[i]!;
      if (isSmallCount(v)) {
        const n = v | 0;
        // Small counts and flags, most of the vector: digits without a string, in integer
        // arithmetic (`%` on the double itself compiles to a call and cost more than the rest).
        if (n < 10) out[o++] = 48 + n;
        else if (n < 100) {
          out[o++] = 48 + ((n / 10) | 0);
          out[o++] = 48 + (n % 10);
        } else {
          out[o++] = 48 + ((n / 100) | 0);
          out[o++] = 48 + (((n / 10) | 0) % 10);
          out[o++] = 48 + (n % 10);
        }
      } else {
        // JSON.stringify writes a non-finite number as null, as the JSON of a record must.
        for (let c = text.charCodeAt(t); c !== 44 && c !== 93; c = text.charCodeAt(++t)) out[o++] = c;
        t++; // past ',' or ']'
      }
    }
    o = put(out, o, this.close);
    o = put(out, o, SUFFIX_BYTES);
    for (let j = 0; j < enrichedAt.length; j++) out[o++] = enrichedAt.charCodeAt(j);
    out[o++] = 34; // "
    out[o++] = 125; // }
    this.at = o;
    return out.subarray(start, o);
  }
}

/** 0–999, written digit by digit; every other value comes from the record's JSON text of them. */
function isSmallCount(v: number): boolean {
  const n = v | 0;
  return n === v && n >= 0 && n < 1000;
}

function put(out: Buffer, at: number, bytes: Uint8Array): number {
  for (let j = 0; j < bytes.length; j++) out[at + j] = bytes[j]!;
  return at + bytes.length;
}
