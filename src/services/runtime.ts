import type { Logger } from './telemetry/index.ts';

/**
 * Runs `stop` once on SIGINT/SIGTERM, so every long-running command drains gracefully
 * (the processor commits what it produced, the API finishes in-flight requests).
 * A second signal exits at once.
 */
export function onShutdown(stop: () => Promise<void>, logger?: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    logger?.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger?.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
