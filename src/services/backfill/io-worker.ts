/*
 * The backfill's I/O thread: the reader and the writer share one worker, so the two threads of
 * the backfill match the 2 cores: the engine thread keeps a core (and its cache) to itself,
 * and this one reads ahead and writes behind it. Each side talks to the engine thread on its
 * own message port.
 */
import { workerData } from 'node:worker_threads';
import type { IoWorkerData } from './pipeline.ts';
import { type PrefixBatch, runReader } from './reader.ts';
import { runWriter } from './writer.ts';

const data = workerData as IoWorkerData;
/** The id cells of the batches between reader and writer, oldest first. */
const prefixes: PrefixBatch[] = [];
/** Their buffers once written, for the reader to fill again. */
const spent: Buffer[] = [];
runWriter(data.writerPort, data.writer, prefixes, spent);
void runReader(data.readerPort, data.reader, prefixes, spent);
