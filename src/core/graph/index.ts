/** Graph analysis, pure part: model, signals, rings, the in-process identity graph. */
export * from './backend.ts';
export * from './components.ts';
export * from './identity-graph.ts';
export * from './model.ts';
export * from './signals.ts';
