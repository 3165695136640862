/**
 * Typed arrays for long-lived decision state (histories, id queues, index columns), allocated
 * on a SharedArrayBuffer.
 *
 * V8 counts every plain ArrayBuffer's bytes as external memory and starts a full mark-compact
 * each time that count has grown 64 MB past its level at the last one (GC flags
 * ALL_EXTERNAL_MEMORY). Decision state only grows until its horizons are reached, about
 * 100 MB a minute at 5,000 tx/s, so that rule alone paced 3-4 major GCs a minute in the Kafka
 * processor, each one a pause on the decision loop, and none of them could free any of it
 * (docs/benchmarks.md, Pipeline). V8 leaves shared buffers out of that count, because several
 * isolates may hold one. Everything else is the same: element access compiles the same, the
 * bytes still show in `process.memoryUsage().arrayBuffers`, and a buffer no longer referenced
 * is freed with its array by the next major GC.
 *
 * Use these only for storage that lives as long as the state does. A temporary array belongs
 * in a plain buffer, whose bytes should urge the GC on. Never post one to a worker: it would
 * be shared there, not copied.
 */

export function stateFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

export function stateInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
}

export function stateUint16(length: number): Uint16Array {
  return new Uint16Array(new SharedArrayBuffer(length * Uint16Array.BYTES_PER_ELEMENT));
}

export function stateUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}
