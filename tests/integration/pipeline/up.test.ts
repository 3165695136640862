import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BRIEF_EXAMPLE_TRANSACTION } from '../../../src/core/contracts/index.ts';
import { freePort } from '../../support/ports.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * `bin/fraud up`, the README's first command, as a user runs it: no configuration at all, so
 * every part is embedded (in-process bus, features and graph, embedded PostgreSQL). Ctrl-C in a
 * terminal signals the whole process group, the embedded PostgreSQL server included; the
 * platform must still drain, stop and exit 0 without leaving a server behind.
 */
describe('bin/fraud up (embedded, no configuration)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fraud-up-'));
  // As root the embedded server runs as the 'postgres' user, which must be able to enter it.
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('decides simulated traffic, answers the decision API, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const env: Record<string, string> = {
      ...process.env,
      FRAUD_ROOT: root,
      FRAUD_DATA_DIR: dataDir,
    } as Record<string, string>;
    for (const k of ['KAFKA_BROKERS', 'REDIS_URL', 'NEO4J_URI', 'DATABASE_URL', 'LOG_LEVEL']) delete env[k];
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        `${root}/src/cli/main.ts`,
        'up',
        '--rate',
        '200',
        '--port',
        String(port),
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`bin/fraud up exited (${child.exitCode}):\n${out}`);
        const ready = await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready && /Service token/.test(out)) break;
        if (Date.now() > deadline) throw new Error(`not ready in 60 s:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const token = /Authorization: Bearer (\S+)/.exec(out)?.[1];
      expect(token).toBeTruthy();
      const post = (body: unknown) =>
        fetch(`${base}/v1/decisions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });

      const decided = await post(BRIEF_EXAMPLE_TRANSACTION);
      expect(decided.status).toBe(200);
      const score = (await decided.json()) as { transaction_id: string; decision: string };
      expect(score.transaction_id).toBe(BRIEF_EXAMPLE_TRANSACTION.transaction_id);
      expect(['approve', 'review', 'block']).toContain(score.decision);

      const { card_id: _dropped, ...withoutCard } = BRIEF_EXAMPLE_TRANSACTION;
      const refused = await post(withoutCard);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('card_id');

      // The simulator's traffic goes through the stream processor.
      let streamed = 0;
      for (let i = 0; i < 60 && streamed < 200; i++) {
        const metrics = await (await fetch(`${base}/metrics`)).text();
        streamed = [
          ...metrics.matchAll(/^fraud_transactions_total\{[^}]*source="stream"[^}]*\} (\d+)/gm),
        ].reduce((n, m) => n + Number(m[1]), 0);
        if (streamed < 200) await new Promise((r) => setTimeout(r, 500));
      }
      expect(streamed).toBeGreaterThanOrEqual(200);
      // The live summary (a line every 5 s when stdout is not a terminal).
      for (let i = 0; i < 40 && !/tx\/s \| approve/.test(out); i++)
        await new Promise((r) => setTimeout(r, 250));
      expect(out).toMatch(
        /\d+ tx\/s \| approve [\d.]+% review [\d.]+% block [\d.]+% \| p50 [\d.]+ ms, p99 [\d.]+ ms/,
      );
    } finally {
      // Ctrl-C: SIGINT to the process group, as a terminal sends it.
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
    }
    const code = await Promise.race([
      exited,
      new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000)),
    ]);
    if (code === 'hung') process.kill(-child.pid!, 'SIGKILL');
    expect(code, out).toBe(0);
    expect(out).toMatch(/stopped: \d+ decided/);
    // Nothing went wrong on the way down (warnings and errors are JSON log lines).
    expect(out).not.toMatch(/"level":(40|50|60)/);
    const left = (() => {
      try {
        return execFileSync('pgrep', ['-f', `postgres -D ${dataDir}`])
          .toString()
          .trim();
      } catch {
        return ''; // pgrep exits 1 when nothing matches
      }
    })();
    expect(left).toBe('');
  }, 120_000);
});
