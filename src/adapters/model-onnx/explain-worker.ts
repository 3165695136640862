/**
 * The explanation thread's body: one explainer, fed batches of rows in the model's feature
 * order, answering with their contributions (row-major, `k` per row) and the bias.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createExplainer, type ExplainJson } from './explain.ts';

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
  const out = new Float64Array(req.n * k);
  let bias = 0;
  for (let r = 0; r < req.n; r++) {
    const a = explainer.attribute(req.rows.subarray(r * k, (r + 1) * k));
    out.set(a.contributions, r * k);
    bias = a.bias;
  }
  const reply: ExplainReply = { id: req.id, contributions: out, bias };
  parentPort!.postMessage(reply, [out.buffer]);
});
