/**
 * The feature thread's body: one `FeatureEngine`, fed batches and labels in the order the
 * decision thread sent them, answering each message in that order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FeatureEngine, type FeatureEngineOptions } from '../../core/features/index.ts';
import { applyLabels } from './index.ts';
import type { FeatureThreadReply, FeatureThreadRequest } from './thread.ts';
import { enrichBatch } from './wire.ts';

const engine = new FeatureEngine((workerData as { options: FeatureEngineOptions }).options);
const port = parentPort!;

port.on('message', (req: FeatureThreadRequest) => {
  let reply: FeatureThreadReply;
  try {
    switch (req.kind) {
      case 'enrich': {
        const vectors = enrichBatch(engine, req);
        port.postMessage({ kind: 'vectors', vectors } satisfies FeatureThreadReply, [vectors.buffer]);
        return;
      }
      case 'labels':
        applyLabels(engine, req.labels);
        reply = { kind: 'done' };
        break;
      case 'stats':
        reply = { kind: 'stats', stats: engine.stats() };
        break;
    }
  } catch (err) {
    // As on the caller's thread, the error goes to the caller (validated input does not fail).
    reply = { kind: 'error', message: (err as Error).message };
  }
  port.postMessage(reply);
});
