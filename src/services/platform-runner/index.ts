import type { PlatformConfig } from '../../config/index.ts';
import { createSimulator, runLiveFeed } from '../ingestor/index.ts';
import { StreamProcessor } from '../processor/index.ts';
import { onShutdown } from '../runtime.ts';
import { buildApiServer } from '../scorer/server.ts';
import { openApiPlatform } from '../scorer/service.ts';
import { createLogger } from '../telemetry/index.ts';
import { LiveSummary } from './live-summary.ts';

export interface RunPlatformOptions {
  readonly rate: number;
  readonly seed: number;
  readonly port: number;
  readonly durationMs: number | undefined;
  readonly simulate: boolean;
}

/**
 * `bin/fraud up`: the processor, the API (and console) and the simulator in one process, on
 * whatever adapters the configuration selects. This is the same code the separate services
 * run; only the composition differs.
 */
export async function runPlatform(config: PlatformConfig, options: RunPlatformOptions): Promise<void> {
  // The terminal shows the live summary; logs below warn only when LOG_LEVEL asks for them.
  const logger = createLogger('platform', process.env['LOG_LEVEL'] ?? 'warn');
  // Demo mode (demo users and a printed service token) only when nothing is configured.
  const demo = !config.kafkaBrokers && !config.databaseUrl;
  const api = await openApiPlatform(config, { demo, logger });
  const platform = api.platform;
  const summary = new LiveSummary();
  const processor = new StreamProcessor({
    bus: platform.bus,
    engine: platform.engine,
    features: platform.labels,
    graph: platform.graph,
    metrics: platform.metrics,
    logger,
    enrichedFeatures: config.enrichedFeatures,
    commitIntervalMs: config.kafkaCommitIntervalMs,
    onBatch: (results, dead, e2e) => summary.observe(results, dead, e2e),
  });
  await processor.start();
  const app = await buildApiServer(platform, {
    console: api.console,
    graph: api.graph,
    readiness: () => (processor.state === 'running' ? [] : [`processor is ${processor.state}`]),
  });
  const address = await app.listen({ host: config.apiHost, port: options.port });

  const out = process.stderr;
  out.write(
    [
      '',
      'Fraud detection platform is up.',
      `  bus ${platform.bus.kind} · features ${platform.features.kind} · graph ${platform.graph.kind} · ` +
        `rules ${platform.policy.current.version} · model ${platform.model.current?.version ?? 'none'}`,
      `  Console        ${address}/`,
      `  Decision API   POST ${address}/v1/decisions   (OpenAPI: ${address}/openapi.json)`,
      `  Metrics        ${address}/metrics`,
      `  Simulator      ${options.simulate ? `${options.rate} tx/s (seed ${options.seed})` : 'off'}`,
      '  Ctrl-C drains and stops.',
      '',
    ].join('\n') + '\n',
  );
  out.write(`${api.console.banner(address)}\n`);

  const abort = new AbortController();
  const feed = options.simulate
    ? runLiveFeed({
        bus: platform.bus,
        // Chargebacks arrive in minutes instead of weeks, so label-driven features move in a demo.
        // A per-run id prefix: transaction_id is the pipeline's idempotency key, and a restarted
        // demo must not collide with the decisions an earlier run left in the store.
        simulator: createSimulator({
          seed: options.seed,
          timeScale: 1 / 1440,
          idPrefix: `tx_${Date.now().toString(36)}_`,
        }),
        rate: options.rate,
        signal: abort.signal,
        ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
      }).catch((err: unknown) => {
        logger.error({ err }, 'simulator stopped');
        return null;
      })
    : null;

  const tty = out.isTTY;
  const ticker = setInterval(
    () => {
      const line = summary.line();
      out.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    tty ? 1_000 : 5_000,
  );

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    abort.abort();
    await feed;
    clearInterval(ticker);
    await processor.stop();
    await app.close();
    await api.close();
    out.write(
      `\nstopped: ${summary.total} decided, ${summary.alerts} alerts, ${summary.deadLettered} dead-lettered\n`,
    );
  };
  onShutdown(stop, logger);
  if (options.durationMs !== undefined) {
    await feed;
    // Let the processor catch up with what the feed sent.
    await new Promise((r) => setTimeout(r, 1_000));
    await stop();
  }
}
