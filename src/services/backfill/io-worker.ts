/*
 * The backfill's I/O thread: the reader and the writer share one worker, so the two threads of
 * the backfill match the 2 cores: the engine thread keeps a core (and its cache) to itself,
 * and this one reads ahead and writes behind it. Each side talks to the engine thread on its
 * own message port.
 */
import { workerData } from 'node:worker_threads';
import type { IoWorkerData } from './pipeline.ts';
import { runReader } from './reader.ts';
import { runWriter } from './writer.ts';

const data = workerData as IoWorkerData;
runWriter(data.writerPort, data.writer);
void runReader(data.readerPort, data.reader);
