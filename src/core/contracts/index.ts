export * from './decision.ts';
export * from './enriched.ts';
export * from './label.ts';
export * from './topics.ts';
export * from './transaction.ts';
export { checkTransaction, fieldIssues, type ParseResult, parseTransaction, validators } from './validate.ts';
