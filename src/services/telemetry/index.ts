export { createLogger, type Logger } from './logger.ts';
export { PlatformMetrics } from './metrics.ts';
