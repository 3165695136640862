/**
 * The explanation thread's body: one explainer, fed batches of rows in the model's feature
 * order, answering with their contributions (row-major, `k` per row) and the bias.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { attributeRows, createExplainer, type ExplainJson } from './explain.ts';

export interface ExplainRequest {
  readonly id: number;
  /** `n` rows of `k` model features, NaN = missing. */
  readonly rows: Float64Array;
  readonly n: number;
}
export interface ExplainReply {
  readonly id: number;
  readonly contributions: Float64Array;
  readonly bias: number;
}

const explainer = createExplainer((workerData as { json: ExplainJson }).json);
const k = (workerData as { json: ExplainJson }).json.features.length;

parentPort!.on('message', (req: ExplainRequest) => {
  const { contributions, bias } = attributeRows(explainer, req.rows, req.n, k);
  const reply: ExplainReply = { id: req.id, contributions, bias };
  parentPort!.postMessage(reply, [contributions.buffer]);
});
