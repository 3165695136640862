import { describe, expect, it } from 'vitest';
import { niced, niceFromEnv } from '../../../../src/infra/local/process.ts';

describe('nice values for local services', () => {
  it('reads 0–19 from the environment, 0 when unset, and rejects anything else by name', () => {
    expect(niceFromEnv({}, 'FRAUD_NEO4J_NICE')).toBe(0);
    expect(niceFromEnv({ FRAUD_NEO4J_NICE: '' }, 'FRAUD_NEO4J_NICE')).toBe(0);
    expect(niceFromEnv({ FRAUD_NEO4J_NICE: '10' }, 'FRAUD_NEO4J_NICE')).toBe(10);
    expect(niceFromEnv({ FRAUD_NEO4J_NICE: '19' }, 'FRAUD_NEO4J_NICE')).toBe(19);
    // A local service may yield the cores, never take them first.
    for (const bad of ['-5', '20', '2.5', 'low'])
      expect(() => niceFromEnv({ FRAUD_NEO4J_NICE: bad }, 'FRAUD_NEO4J_NICE')).toThrow(
        /FRAUD_NEO4J_NICE must be an integer in \[0, 19\]/,
      );
  });

  it('runs the command through nice(1) only when asked to', () => {
    expect(niced(0, 'java', ['-Xmx1g', 'Main'])).toEqual({ command: 'java', args: ['-Xmx1g', 'Main'] });
    expect(niced(10, 'java', ['-Xmx1g', 'Main'])).toEqual({
      command: 'nice',
      args: ['-n', '10', 'java', '-Xmx1g', 'Main'],
    });
  });
});
