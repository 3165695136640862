export { ERROR_CATALOGUE, type ErrorCode } from './catalogue.ts';
export { type FieldIssue, FraudError, isFraudError } from './fraud-error.ts';
