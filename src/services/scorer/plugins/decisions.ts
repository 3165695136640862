import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { checkTransaction, ScoreSchema, TOPICS, TransactionSchema } from '../../../core/contracts/index.ts';
import {
  alertJson,
  type EnrichedFeatureForm,
  enrichedJson,
  scoreJson,
} from '../../../core/pipeline/index.ts';
import type { EventBus, OutgoingMessage } from '../../../ports/index.ts';
import type { DecisionEngine } from '../../decision-engine/index.ts';
import type { PlatformMetrics } from '../../telemetry/index.ts';

export interface DecisionsPluginOptions {
  readonly engine: DecisionEngine;
  readonly bus: EventBus;
  readonly metrics: PlatformMetrics;
  /** How enriched records carry the features (`FRAUD_ENRICHED_FEATURES`). Default `vector`. */
  readonly enrichedFeatures?: EnrichedFeatureForm;
  /** Route guard (service token) once authentication is on. */
  readonly guard?: preHandlerHookHandler;
}

/**
 * `POST /v1/decisions`: the same pipeline as the stream, in-line, for callers such as card
 * authorisation that cannot wait on Kafka. It publishes the same events as the processor
 * (`enriched-transactions`, `scores`, `alerts`) before answering, so nothing decided here is
 * missing downstream (cases, graph, labels).
 */
export async function decisionsPlugin(app: FastifyInstance, opts: DecisionsPluginOptions): Promise<void> {
  app.post(
    '/v1/decisions',
    {
      ...(opts.guard ? { preHandler: opts.guard } : {}),
      schema: {
        summary: 'Decide one transaction synchronously',
        tags: ['decisions'],
        body: TransactionSchema,
        response: { 200: ScoreSchema },
      },
      // The contract's own compiled validator, so HTTP and Kafka reject exactly the same input
      // with the same field-named errors.
      validatorCompiler: () => (data: unknown) => {
        const r = checkTransaction(data);
        return r.ok ? { value: r.transaction } : { error: r.error };
      },
    },
    async (request) => {
      const tx = checkTransaction(request.body);
      if (!tx.ok) throw tx.error;
      const receivedAt = Date.now();
      const [result] = await opts.engine.decide([tx.transaction], [receivedAt]);
      const r = result!;
      const key = r.transaction.card_id;
      const alerts: OutgoingMessage[] = r.alert ? [{ key, value: alertJson(r.alert) }] : [];
      // The same events the stream emits, in one write (one produce request on Kafka).
      await opts.bus.publishAll([
        {
          topic: TOPICS.enriched,
          messages: [
            {
              key,
              value: enrichedJson(
                JSON.stringify(r.transaction),
                r.features,
                r.score.decided_at,
                opts.enrichedFeatures,
              ),
            },
          ],
        },
        { topic: TOPICS.scores, messages: [{ key, value: scoreJson(r.score) }] },
        { topic: TOPICS.alerts, messages: alerts },
      ]);
      opts.metrics.observeDecisions([r], 'api');
      return r.score;
    },
  );
}
