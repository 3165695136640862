/**
 * `FRAUD_NEO4J_NICE` starts the local Neo4j below the pipeline's priority: every JVM thread,
 * not only the first (Linux keeps a nice value per thread), runs at it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import neo4j from 'neo4j-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateNeo4j, startPrivateNeo4j } from '../../support/neo4j.ts';

/** The nice value of one thread, from /proc (field 19 of stat). */
function niceOf(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe('local Neo4j with FRAUD_NEO4J_NICE', () => {
  let neo: PrivateNeo4j;

  beforeAll(async () => {
    neo = await startPrivateNeo4j('nice', { FRAUD_NEO4J_NICE: '7' });
  }, 240_000);

  afterAll(async () => {
    await neo?.remove();
  }, 60_000);

  it('runs every thread of the JVM at that nice value and answers Bolt', async () => {
    const pid = Number(readFileSync(join(neo.runDir, 'neo4j.pid'), 'utf8').trim());
    const threads = readdirSync(`/proc/${pid}/task`).map(Number);
    expect(threads.length).toBeGreaterThan(10);
    // nice(1) adds to the niceness it starts with: the test runner's own, usually 0.
    const mine = niceOf(process.pid, process.pid);
    expect(new Set(threads.map((t) => niceOf(pid, t)))).toEqual(new Set([Math.min(19, mine + 7)]));
    const driver = neo4j.driver(neo.uri);
    try {
      const r = await driver.executeQuery('RETURN 1 AS one');
      expect(r.records[0]?.get('one').toNumber()).toBe(1);
    } finally {
      await driver.close();
    }
  });
});
