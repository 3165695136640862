/**
 * The closed catalogue of error codes. Every error the platform raises on purpose has one
 * code here, and `docs/errors.md` documents each (a unit test keeps them in step).
 *
 * Callers route on the data, never on message text:
 * - `status`: HTTP status the API answers with;
 * - `retryable`: a transient failure (retry with back-off) versus a permanent one;
 * - `deadLetter`: a bad input record goes to `transactions.dlq` with its original bytes.
 */
export const ERROR_CATALOGUE = {
  FRAUD_INPUT_NOT_JSON: {
    status: 400,
    retryable: false,
    deadLetter: true,
    summary: 'The payload is not valid JSON.',
  },
  FRAUD_INPUT_INVALID: {
    status: 400,
    retryable: false,
    deadLetter: true,
    summary: 'The payload does not satisfy the transaction contract; `details` names each field.',
  },
  FRAUD_INPUT_TOO_LARGE: {
    status: 413,
    retryable: false,
    deadLetter: true,
    summary: 'The payload exceeds the size limit.',
  },
  FRAUD_CONFIG_INVALID: {
    status: 500,
    retryable: false,
    deadLetter: false,
    summary: 'Configuration (environment or file) is invalid; the message names the setting.',
  },
  FRAUD_RULES_INVALID: {
    status: 422,
    retryable: false,
    deadLetter: false,
    summary: 'A rule set failed validation; each error gives file, line, column and field.',
  },
  FRAUD_RULE_UNKNOWN_FEATURE: {
    status: 422,
    retryable: false,
    deadLetter: false,
    summary: 'A rule refers to a feature or field that does not exist.',
  },
  FRAUD_MODEL_UNAVAILABLE: {
    status: 503,
    retryable: true,
    deadLetter: false,
    summary: 'The model could not be loaded or scored; decisions fall back to rules and review.',
  },
  FRAUD_DEPENDENCY_UNAVAILABLE: {
    status: 503,
    retryable: true,
    deadLetter: false,
    summary: 'A backing service (Kafka, Redis, Neo4j, PostgreSQL) is unreachable or timed out.',
  },
  FRAUD_BUS_REJECTED: {
    status: 500,
    retryable: false,
    deadLetter: false,
    summary: 'Kafka refused a request for good (e.g. a record over the size limit); retrying cannot help.',
  },
  FRAUD_NOT_READY: {
    status: 503,
    retryable: true,
    deadLetter: false,
    summary: 'The service is starting or draining.',
  },
  FRAUD_AUTH_REQUIRED: {
    status: 401,
    retryable: false,
    deadLetter: false,
    summary: 'No valid session or API token.',
  },
  FRAUD_FORBIDDEN: {
    status: 403,
    retryable: false,
    deadLetter: false,
    summary: 'The role may not perform this action.',
  },
  FRAUD_NOT_FOUND: {
    status: 404,
    retryable: false,
    deadLetter: false,
    summary: 'The resource does not exist.',
  },
  FRAUD_CONFLICT: {
    status: 409,
    retryable: false,
    deadLetter: false,
    summary: 'The resource changed or already exists.',
  },
  FRAUD_REQUEST_INVALID: {
    status: 400,
    retryable: false,
    deadLetter: false,
    summary: 'A request (other than a transaction) is malformed; `details` names each field.',
  },
  FRAUD_USAGE: {
    status: 400,
    retryable: false,
    deadLetter: false,
    summary: 'A CLI command was called with wrong arguments.',
  },
  FRAUD_INTERNAL: {
    status: 500,
    retryable: false,
    deadLetter: false,
    summary: 'An unexpected internal error.',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
