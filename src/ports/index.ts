export type * from './event-bus.ts';
export type * from './feature-store.ts';
export type * from './graph-signals.ts';
export type * from './model-scorer.ts';
