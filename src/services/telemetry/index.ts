export { createLogger, type Logger } from './logger.ts';
export { GraphServiceMetrics, PlatformMetrics } from './metrics.ts';
export { Samples, type Summary, summarize } from './percentiles.ts';
