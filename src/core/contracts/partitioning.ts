/**
 * Which partition a keyed record goes to: Kafka's own rule for keyed records, as the Java client
 * (and librdkafka's `murmur2_random`) apply it: `toPositive(murmur2(key bytes)) % partitions`.
 *
 * Both buses use it, so a card lands on the same partition whether a Java producer, `kcat -X
 * topic.partitioner=murmur2_random`, this platform on Kafka, or the in-process bus writes it.
 * That is what lets a Kafka Streams or Flink job join `transactions` with `scores` by card
 * without repartitioning (co-partitioned topics need the same partitioner).
 *
 * The hash is 32-bit integer arithmetic (`Math.imul`) and allocates nothing: it runs for every
 * record produced, three or four times per transaction.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of `bytes[start, end)`, as a signed 32-bit integer (Java's `Utils.murmur2`). */
export function murmur2(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const length = end - start;
  let h = (SEED ^ length) | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last 1-3 bytes, as Java's fall-through switch mixes them.
  const rest = end - i;
  if (rest > 0) {
    if (rest === 3) h ^= bytes[i + 2]! << 16;
    if (rest >= 2) h ^= bytes[i + 1]! << 8;
    h ^= bytes[i]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The non-negative hash a key's partition is taken from (Java's `Utils.toPositive`). */
export function keyHash(key: Uint8Array, start = 0, end = key.length): number {
  return murmur2(key, start, end) & 0x7fffffff;
}

/** The partition of a keyed record among `partitions`. */
export function keyPartition(key: Uint8Array, partitions: number): number {
  return keyHash(key) % partitions;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);

/** `keyPartition` of a string key's UTF-8 bytes, encoded into a reused buffer. */
export function stringKeyPartition(key: string, partitions: number): number {
  // UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (key.length * 3 > scratch.length) scratch = new Uint8Array(key.length * 3);
  const { written } = encoder.encodeInto(key, scratch);
  return keyHash(scratch, 0, written) % partitions;
}
