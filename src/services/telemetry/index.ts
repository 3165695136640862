export { createLogger, type Logger } from './logger.ts';
export { PlatformMetrics } from './metrics.ts';
export { Samples, type Summary, summarize } from './percentiles.ts';
