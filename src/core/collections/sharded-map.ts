const SHARDS = 16;

/**
 * A string-keyed map split into 16 `Map`s by a hash of the key. A `Map` grows by rehashing all
 * its entries at once, inside whatever call crossed the threshold: at 131,072 transaction ids
 * that is a ~6 ms pause on an idle core, several times that next to a broker, in the middle of
 * a decision batch. Split sixteen ways, each part rehashes a sixteenth of the entries, and the
 * parts cross their thresholds a few hundred insertions apart, in different batches
 * (docs/benchmarks.md, Pipeline). Iteration order is not kept across parts.
 */
export class ShardedMap<V> {
  private readonly shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map<string, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)]!.get(key);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]!.has(key);
  }

  set(key: string, value: V): void {
    const shard = this.shards[shardOf(key)]!;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
  }

  /** The key's value; a key not present is first set to `value` (one hash for both). */
  getOrAdd(key: string, value: V): V {
    const shard = this.shards[shardOf(key)]!;
    const known = shard.get(key);
    if (known !== undefined) return known;
    shard.set(key, value);
    this.count++;
    return value;
  }

  delete(key: string): boolean {
    const deleted = this.shards[shardOf(key)]!.delete(key);
    if (deleted) this.count--;
    return deleted;
  }
}

/** FNV-1a over the key's UTF-16 units, folded to 4 bits. */
function shardOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 16) ^ (h >>> 8) ^ (h >>> 4)) & (SHARDS - 1);
}
