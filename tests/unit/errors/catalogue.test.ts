import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, FraudError } from '../../../src/core/errors/index.ts';

describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

  it('documents every code in docs/errors.md, and documents no code that does not exist', () => {
    const documented = new Set([...doc.matchAll(/^\| `(FRAUD_[A-Z_]+)` \|/gm)].map((m) => m[1]));
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
  });

  it('documents the HTTP status and retryability the code carries', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${code}\` |`))!;
      expect(row, code).toContain(`| ${entry.status} |`);
      expect(row, code).toContain(entry.retryable ? '| yes |' : '| no |');
    }
  });

  it('gives every FraudError the status and routing flags of its code', () => {
    const e = new FraudError('FRAUD_INPUT_INVALID', 'bad', {
      details: [{ field: 'amount', message: 'must be number' }],
    });
    expect(e.status).toBe(400);
    expect(e.deadLetter).toBe(true);
    expect(e.retryable).toBe(false);
    expect(e.toJSON()).toEqual({
      code: 'FRAUD_INPUT_INVALID',
      message: 'bad',
      details: [{ field: 'amount', message: 'must be number' }],
    });
    expect(new FraudError('FRAUD_DEPENDENCY_UNAVAILABLE', 'x').retryable).toBe(true);
  });
});
