import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.ts';

/** One problem with one field of an input, e.g. `{ field: 'card_id', message: 'is required' }`. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export class FraudError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly deadLetter: boolean;
  readonly details: readonly FieldIssue[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: readonly FieldIssue[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry = ERROR_CATALOGUE[code];
    this.name = 'FraudError';
    this.code = code;
    this.status = entry.status;
    this.retryable = entry.retryable;
    this.deadLetter = entry.deadLetter;
    this.details = options.details ?? [];
  }

  toJSON(): { code: ErrorCode; message: string; details: readonly FieldIssue[] } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isFraudError(err: unknown): err is FraudError {
  return err instanceof FraudError;
}
