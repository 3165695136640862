/**
 * Purpose: time `bin/fraud infra up <service>` to readiness (a real client call answered),
 * cold (fresh data directory: KRaft format / initdb included) and warm (restart on existing data).
 *
 *   node bench/infra/startup.ts [--runs N] [kafka redis postgres neo4j]
 *
 * Private instances on free ports under a temporary FRAUD_RUN_DIR: shared services are untouched.
 * Prints one JSON object with the median and max per service and mode.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalService } from '../../src/infra/local/index.ts';
import { probePort } from '../../src/infra/local/process.ts';

const PORT_VARS: Record<string, string> = {
  kafka: 'FRAUD_KAFKA_PORT',
  redis: 'FRAUD_REDIS_PORT',
  postgres: 'FRAUD_POSTGRES_PORT',
  neo4j: 'FRAUD_NEO4J_PORT',
};

async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => res(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (port < 65535 && !(await probePort('127.0.0.1', port + 1))) return port;
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 3;
const names = args.filter((a, i) => !a.startsWith('--') && i !== runsAt + 1);
const services = names.length ? names : ['kafka', 'redis', 'postgres'];

const results: Record<
  string,
  { cold_ms: { median: number; max: number }; warm_ms: { median: number; max: number } }
> = {};
for (const name of services) {
  const cold: number[] = [];
  const warm: number[] = [];
  for (let r = 0; r < runs; r++) {
    const runBase = mkdtempSync(join(tmpdir(), 'fraud-bench-'));
    await chmod(runBase, 0o755); // PostgreSQL runs as the postgres user
    const port = await freePortPair();
    const env = { ...process.env, [PORT_VARS[name]!]: String(port) };
    const svc = await loadLocalService(name, { env, runBase, log: () => {} });
    try {
      let t = performance.now();
      await svc.up();
      cold.push(performance.now() - t);
      await svc.down();
      t = performance.now();
      await svc.up();
      warm.push(performance.now() - t);
    } finally {
      await svc.down().catch(() => {});
      rmSync(runBase, { recursive: true, force: true });
    }
    process.stderr.write(
      `${name} run ${r + 1}/${runs}: cold ${Math.round(cold.at(-1)!)} ms, warm ${Math.round(warm.at(-1)!)} ms\n`,
    );
  }
  results[name] = {
    cold_ms: { median: Math.round(median(cold)), max: Math.round(Math.max(...cold)) },
    warm_ms: { median: Math.round(median(warm)), max: Math.round(Math.max(...warm)) },
  };
}
process.stdout.write(`${JSON.stringify({ runs, results }, null, 2)}\n`);
