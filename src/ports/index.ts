export type * from './event-bus.ts';
// Values too: the fetch profiles subscribers pick from (the port's vocabulary, not an adapter's).
export { BULK_FETCH, WATCH_FETCH } from './event-bus.ts';
export type * from './feature-store.ts';
export type * from './graph-signals.ts';
export type * from './model-scorer.ts';
