import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { Pool } from 'pg';
import { FraudError } from '../../core/errors/index.ts';

/** Arbitrary constant: the advisory lock that serialises concurrent migrators (two API replicas starting). */
const MIGRATION_LOCK = 727_000;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** Reads `NNN_name.sql` files in version order. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(new URL(file, dir), 'utf8');
    out.push({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return out;
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock. Refuses to
 * start when an applied migration's file changed (an edited migration means two databases
 * built from "the same" version differ) or when the database is newer than this code.
 */
export async function migrate(pool: Pool, migrations?: readonly Migration[]): Promise<number[]> {
  const all = migrations ?? (await loadMigrations());
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const known = new Map(all.map((m) => [m.version, m]));
    for (const row of rows) {
      const m = known.get(row.version);
      if (!m) {
        throw new FraudError(
          'FRAUD_CONFIG_INVALID',
          `database has migration ${row.version} (${row.name}) that this code does not know: it is newer than the code`,
        );
      }
      if (m.checksum !== row.checksum) {
        throw new FraudError(
          'FRAUD_CONFIG_INVALID',
          `migration ${row.version}_${row.name}.sql changed after it was applied; add a new migration instead`,
        );
      }
    }
    const done = new Set(rows.map((r) => r.version));
    for (const m of all) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await client.query('COMMIT');
        applied.push(m.version);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new FraudError(
          'FRAUD_CONFIG_INVALID',
          `migration ${m.version}_${m.name} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}
