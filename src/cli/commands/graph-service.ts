import { FraudError } from '../../core/errors/index.ts';
import { type Command, numberFlag, parseFlags } from '../command.ts';

const usage = `Usage: bin/fraud graph-service [options]

Consumes enriched-transactions (and labels) as a consumer group and writes the entity graph
in idempotent UNWIND/MERGE batches. Offsets are committed only after a batch is in the graph;
while Neo4j is down it retries the same batch with back-off and never drops a record.

Needs NEO4J_URI (and KAFKA_BROKERS for the real pipeline). Without NEO4J_URI it writes an
in-process graph, which is only useful with --http.

Options:
  --group ID            consumer group (default graph-service)
  --batch N             records per graph transaction (default 1000)
  --in-flight N         batches written at once; offsets still commit in order (default 2)
  --from earliest|latest  where a new group starts (default earliest)
  --analyze-every S     run the ring analysis every S seconds (default 0 = never)
  --http PORT           serve /healthz, /readyz, /metrics (Prometheus) and the analyst API
                        (/v1/graph/...) on PORT (host FRAUD_API_HOST, default 127.0.0.1).
                        /readyz is 200 once the schema is migrated, the warm-up is done and
                        the consumer runs; it stays 200 while Neo4j refuses writes (they are
                        retried and counted in fraud_graph_write_retries_total)
  --stats-every S       log throughput every S seconds (default 10)
  --retention D         Neo4j: every hour, delete Transaction nodes older than D before the
                        newest one, e.g. 90d or 36h (default 90d; 0 = keep them forever).
                        Keep it longer than the Kafka retention of enriched-transactions.
  --writers N           Neo4j: concurrent write transactions per batch, split by customer
                        (default 1; more can help when Neo4j has cores of its own)
  --warm-up N           Neo4j: before consuming, run up to N synthetic batches of the write
                        path in transactions that are rolled back (nothing is written), until
                        batch times stop falling: a freshly started Neo4j writes at a third of
                        its speed until its JIT has compiled the write path (default 60; 0 = off)

Example:
  KAFKA_BROKERS=127.0.0.1:9092 NEO4J_URI=bolt://127.0.0.1:7687 bin/fraud graph-service --analyze-every 60
`;

const command: Command = {
  name: 'graph-service',
  summary:
    'Consume enriched-transactions into the graph (Neo4j) with batching, retries and periodic ring analysis',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      group: { type: 'string' },
      batch: { type: 'string' },
      from: { type: 'string' },
      'analyze-every': { type: 'string' },
      http: { type: 'string' },
      'stats-every': { type: 'string' },
      retention: { type: 'string' },
      writers: { type: 'string' },
      'in-flight': { type: 'string' },
      'warm-up': { type: 'string' },
    });
    const inFlight = numberFlag('in-flight', values['in-flight'], 2);
    if (!Number.isInteger(inFlight) || inFlight < 1 || inFlight > 16)
      throw new FraudError('FRAUD_USAGE', '--in-flight must be an integer from 1 to 16');
    const retention = values.retention ?? '90d';
    const rm = /^(\d+)([dh])$/.exec(retention);
    if (retention !== '0' && !rm)
      throw new FraudError(
        'FRAUD_USAGE',
        `--retention must be 0 or N followed by d or h (e.g. 90d), got '${retention}'`,
      );
    const retentionMs = rm ? Number(rm[1]) * (rm[2] === 'd' ? 86_400_000 : 3_600_000) : 0;
    const writers = numberFlag('writers', values.writers, 1);
    if (!Number.isInteger(writers) || writers < 1 || writers > 16)
      throw new FraudError('FRAUD_USAGE', '--writers must be an integer from 1 to 16');
    const warmUpBatches = numberFlag('warm-up', values['warm-up'], 60);
    if (!Number.isInteger(warmUpBatches) || warmUpBatches < 0)
      throw new FraudError('FRAUD_USAGE', '--warm-up must be a non-negative integer');
    const from = values.from ?? 'earliest';
    if (from !== 'earliest' && from !== 'latest')
      throw new FraudError('FRAUD_USAGE', `--from must be earliest or latest, got '${from}'`);
    const batchSize = numberFlag('batch', values.batch, 1000);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new FraudError('FRAUD_USAGE', '--batch must be a positive integer');
    const { loadConfig } = await import('../../config/index.ts');
    const { createBus, topicSpecs } = await import('../../platform/index.ts');
    const { createGraphBackend } = await import('../../adapters/graph-neo4j/index.ts');
    const { GraphService } = await import('../../services/graph-service/index.ts');
    const { GraphServiceMetrics } = await import('../../services/telemetry/metrics.ts');
    const { onShutdown } = await import('../../services/runtime.ts');
    const { createLogger } = await import('../../services/telemetry/logger.ts');
    const config = loadConfig();
    const logger = createLogger('graph-service', config.logLevel);
    const bus = createBus(config, logger);
    const backend = config.neo4j
      ? new (await import('../../adapters/graph-neo4j/backend.ts')).Neo4jGraph({
          uri: config.neo4j.uri,
          user: config.neo4j.user,
          password: config.neo4j.password,
          writers,
        })
      : await createGraphBackend(config);
    if (backend.kind === 'memory')
      logger.warn({}, 'no NEO4J_URI: writing an in-process graph (set NEO4J_URI for Neo4j)');
    const metrics = values.http === undefined ? undefined : new GraphServiceMetrics();
    const service = new GraphService({
      bus,
      backend,
      groupId: values.group ?? 'graph-service',
      batchSize,
      inFlight,
      from,
      analyzeEveryMs: numberFlag('analyze-every', values['analyze-every'], 0) * 1000,
      logger,
      ...(metrics ? { metrics } : {}),
    });
    // What the process does before it consumes; /readyz answers 503 with it until then.
    let startup: string | null = 'creating topics';
    let app: import('fastify').FastifyInstance | null = null;
    if (metrics) {
      // Listening before the migration and the warm-up: /healthz answers the startup and liveness
      // probes while Neo4j is still coming up (the migration alone retries for minutes), and
      // /readyz says what the service waits for.
      const port = numberFlag('http', values.http, 0);
      const { default: Fastify } = await import('fastify');
      const { graphHealthRoutes, graphRoutes } = await import('../../services/graph-service/http.ts');
      const { installErrorHandler } = await import('../../services/scorer/plugins/errors.ts');
      app = Fastify({ logger: false });
      installErrorHandler(app);
      await app.register(graphHealthRoutes, { service, metrics, startup: () => startup });
      await app.register(graphRoutes, { backend });
      await app.listen({ host: config.apiHost, port });
      logger.info(
        {
          url: `http://${config.apiHost}:${port}/v1/graph/rings`,
          metrics: `http://${config.apiHost}:${port}/metrics`,
        },
        'graph API listening',
      );
    }
    try {
      await bus.ensureTopics(topicSpecs(config.partitions));
      startup = 'migrating the graph schema';
      // Constraints first: MERGE without them is a label scan and races into duplicates.
      for (let attempt = 1; ; attempt++) {
        try {
          await backend.migrate();
          break;
        } catch (err) {
          if (attempt >= 30) throw err;
          logger.warn({ err: (err as Error).message, attempt }, 'graph migrate failed; retrying');
          await new Promise((r) => setTimeout(r, Math.min(10_000, 500 * attempt)));
        }
      }
      if (warmUpBatches > 0 && 'warmUp' in backend) {
        startup = 'warming up Neo4j';
        const { warmUpBatchesFor } = await import('../../services/graph-service/warm-up.ts');
        const { warmedUp } = await import('../../adapters/graph-neo4j/backend.ts');
        const started = performance.now();
        try {
          const batches = await backend.warmUp(warmUpBatchesFor(warmUpBatches, batchSize), {
            until: (t) => warmedUp(t),
          });
          logger.info(
            {
              batches: batches.length,
              firstMs: Math.round(batches[0]?.ms ?? 0),
              lastMs: Math.round(batches.at(-1)?.ms ?? 0),
              tookMs: Math.round(performance.now() - started),
            },
            'graph warm-up done (rolled back, nothing written)',
          );
        } catch (err) {
          // A warm-up is an optimisation: a failure here must not keep the service from starting.
          logger.warn({ err: (err as Error).message }, 'graph warm-up failed; consuming cold');
        }
      }
      await service.start();
      startup = null;
    } catch (err) {
      // Nothing consumes yet: close what is open (the HTTP server would keep the process alive).
      await app?.close();
      await backend.close().catch(() => {});
      await bus.close().catch(() => {});
      throw err;
    }
    logger.info(
      {
        group: values.group ?? 'graph-service',
        batch: batchSize,
        inFlight,
        writers,
        warmUp: warmUpBatches,
        retention,
        backend: backend.kind,
        bus: bus.kind,
      },
      'graph service started',
    );
    let last = { written: 0, at: performance.now() };
    const statsTimer = setInterval(
      () => {
        const now = performance.now();
        const rate = Math.round(((service.stats.written - last.written) * 1000) / (now - last.at));
        last = { written: service.stats.written, at: now };
        logger.info({ ...service.stats, tx_per_s: rate }, 'graph service progress');
      },
      numberFlag('stats-every', values['stats-every'], 10) * 1000,
    );
    statsTimer.unref();
    // Retention: Transaction nodes would otherwise grow with traffic (entities and aggregated
    // relationships stay). One prune at a time; a failure is logged and retried next hour.
    let pruning = false;
    const prune = async () => {
      if (pruning || !('prune' in backend)) return;
      pruning = true;
      try {
        const r = await backend.prune(retentionMs);
        logger.info({ ...r, retention }, 'graph retention: old Transaction nodes pruned');
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'graph retention prune failed; retrying next hour');
      } finally {
        pruning = false;
      }
    };
    const pruneTimer = retentionMs > 0 ? setInterval(() => void prune(), 3_600_000) : undefined;
    pruneTimer?.unref();
    if (retentionMs > 0) setTimeout(() => void prune(), 60_000).unref();
    await new Promise<void>((resolve) => {
      onShutdown(async () => {
        // service.stop() makes /readyz 503 at once (state `stopping`), while the batches in flight finish.
        clearInterval(statsTimer);
        if (pruneTimer) clearInterval(pruneTimer);
        await service.stop();
        await app?.close();
        await backend.close();
        await bus.close();
        logger.info({ ...service.stats }, 'graph service stopped');
        resolve();
      }, logger);
    });
  },
};
export default command;
