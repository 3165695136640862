import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import launcher from '../../src/infra/local/neo4j.ts';
import { freePort } from './ports.ts';

/** A Neo4j of a test's own (the launcher of `bin/fraud infra up neo4j`, private port and directory). */
export interface PrivateNeo4j {
  readonly uri: string;
  /** Its run directory (`neo4j.pid` lives there). */
  readonly runDir: string;
  /** Starts it again on the same data directory (crash recovery). */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

/**
 * For tests that kill the database or delete across all of it, and so cannot use the shared
 * NEO4J_URI instance.
 */
export async function startPrivateNeo4j(
  name: string,
  env: Record<string, string> = {},
): Promise<PrivateNeo4j> {
  const runDir = mkdtempSync(join(tmpdir(), `fraud-neo4j-${name}-`));
  const port = await freePort();
  const neo = launcher({
    root: resolve(import.meta.dirname, '../..'),
    runDir,
    env: { FRAUD_NEO4J_PORT: String(port), FRAUD_NEO4J_HEAP: '384m', FRAUD_NEO4J_PAGECACHE: '32m', ...env },
    log: () => {},
  });
  const uri = (await neo.up())['NEO4J_URI'] as string;
  return {
    uri,
    runDir,
    async restart() {
      await neo.up();
    },
    async remove() {
      await neo.down();
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
