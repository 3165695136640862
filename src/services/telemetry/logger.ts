import { pino } from 'pino';

/** Structured JSON logs on stderr (stdout stays free for command output such as `infra up`). */
export function createLogger(name: string, level = process.env['LOG_LEVEL'] ?? 'info') {
  return pino({ name, level, base: { service: name } }, pino.destination(2));
}
export type Logger = ReturnType<typeof createLogger>;
