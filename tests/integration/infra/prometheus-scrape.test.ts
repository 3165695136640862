/**
 * A real Prometheus (Debian `prometheus` package) scrapes a real decision API and a real graph
 * service (both embedded: no backing services) and loads the shipped alert rules; every Grafana panel query is then evaluated by that Prometheus, so a
 * renamed metric or a PromQL typo in infra/ fails here instead of on a dashboard.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/ports.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const PROMETHEUS = process.env['FRAUD_PROMETHEUS_BIN'] ?? 'prometheus';

function requirePrometheus(): string {
  try {
    return execFileSync(PROMETHEUS, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    throw new Error(
      `'${PROMETHEUS}' not found: install the Debian package (apt-get install prometheus; scripts/setup.sh system) or set FRAUD_PROMETHEUS_BIN`,
    );
  }
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

interface PromResponse<T> {
  status: 'success' | 'error';
  error?: string;
  data: T;
}

function transaction(id: string) {
  return {
    transaction_id: id,
    timestamp: '2025-01-29T12:00:00Z',
    amount: 1250.5,
    currency: 'BRL',
    card_id: 'card_1234',
    merchant_id: 'm_987',
    merchant_category: 'retail',
    customer_id: 'cust_555',
    merchant_country: 'BR',
    card_present: false,
    device_id: 'dev_111',
    ip_address: '200.160.0.1',
    status: 'pending',
  };
}

describe('Prometheus scrapes the decision API and the graph service', () => {
  const children: ChildProcess[] = [];
  let dir: string;
  let apiPort: number;
  let graphPort: number;
  let promUrl: string;
  let apiLog = '';
  let token = '';
  let promLog = '';

  const query = async <T>(expr: string): Promise<PromResponse<T>> => {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as PromResponse<T>;
  };

  beforeAll(async () => {
    requirePrometheus();
    dir = mkdtempSync(join(tmpdir(), 'fraud-prom-'));
    // The API's embedded PostgreSQL runs as the postgres user when we are root: it must reach the data dir.
    chmodSync(dir, 0o755);
    apiPort = await freePort();
    graphPort = await freePort();
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;

    // The API runs embedded (no backing services) so this test needs nothing but itself.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FRAUD_ROOT: ROOT,
      FRAUD_DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'warn',
    };
    for (const v of ['KAFKA_BROKERS', 'REDIS_URL', 'NEO4J_URI', 'DATABASE_URL']) delete env[v];
    const api = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        join(ROOT, 'src/cli/main.ts'),
        'api',
        '--port',
        String(apiPort),
      ],
      { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(api);
    api.stdout?.on('data', (d) => (apiLog += d));
    api.stderr?.on('data', (d) => (apiLog += d));
    await waitFor('API /readyz', 60_000, async () => {
      if (api.exitCode !== null) throw new Error(`API exited ${api.exitCode}: ${apiLog}`);
      const r = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
      return r.ok ? true : undefined;
    });

    // The graph service without KAFKA_BROKERS/NEO4J_URI: in-process bus and graph, same endpoints.
    const graph = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        join(ROOT, 'src/cli/main.ts'),
        'graph-service',
        '--http',
        String(graphPort),
      ],
      { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(graph);
    let graphLog = '';
    graph.stdout?.on('data', (d) => (graphLog += d));
    graph.stderr?.on('data', (d) => (graphLog += d));
    await waitFor('graph-service /readyz', 60_000, async () => {
      if (graph.exitCode !== null) throw new Error(`graph-service exited ${graph.exitCode}: ${graphLog}`);
      const r = await fetch(`http://127.0.0.1:${graphPort}/readyz`);
      return r.ok ? true : undefined;
    });

    // POST /v1/decisions needs a service token: issue one in the API's own (embedded) store.
    const issued = spawnSync(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        join(ROOT, 'src/cli/main.ts'),
        'users',
        'token',
        '--name',
        'prometheus-test',
      ],
      { env, cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    if (issued.status !== 0) throw new Error(`users token failed: ${issued.stderr}`);
    token = issued.stdout.trim();

    const config = `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${join(ROOT, 'infra/prometheus/alerts.yml')}
scrape_configs:
  - job_name: fraud-api
    static_configs:
      - targets: ['127.0.0.1:${apiPort}']
  - job_name: fraud-graph-service
    static_configs:
      - targets: ['127.0.0.1:${graphPort}']
`;
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(prom);
    prom.stdout?.on('data', (d) => (promLog += d));
    prom.stderr?.on('data', (d) => (promLog += d));
    await waitFor('Prometheus /-/ready', 30_000, async () => {
      if (prom.exitCode !== null)
        throw new Error(`prometheus exited ${prom.exitCode}: ${promLog.slice(-2000)}`);
      const r = await fetch(`${promUrl}/-/ready`);
      return r.ok ? true : undefined;
    });
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await sleep(500);
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes fraud_transactions_total after decisions are made through the API', async () => {
    const run = Date.now().toString(36);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${apiPort}/v1/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(transaction(`tx_prom_${run}_${i}`)),
      });
      expect(res.status, await res.clone().text()).toBe(200);
    }
    const total = await waitFor('fraud_transactions_total >= 3 in Prometheus', 30_000, async () => {
      const r = await query<{ result: { value: [number, string] }[] }>(
        'sum(fraud_transactions_total{job="fraud-api"})',
      );
      const v = Number(r.data.result[0]?.value[1] ?? 0);
      return v >= 3 ? v : undefined;
    });
    expect(total).toBe(3);
    const up = await query<{ result: { value: [number, string] }[] }>('up{job="fraud-api"}');
    expect(up.data.result[0]?.value[1]).toBe('1');
  });

  it('scrapes the graph service metrics (fraud_graph_*)', async () => {
    const written = await waitFor(
      'fraud_graph_transactions_written_total in Prometheus',
      30_000,
      async () => {
        const r = await query<{ result: { value: [number, string] }[] }>(
          'fraud_graph_transactions_written_total{job="fraud-graph-service"}',
        );
        return r.data.result[0]?.value[1];
      },
    );
    // Nothing is produced to its in-process bus: the series exists, at 0.
    expect(written).toBe('0');
    const up = await query<{ result: { value: [number, string] }[] }>('up{job="fraud-graph-service"}');
    expect(up.data.result[0]?.value[1]).toBe('1');
  });

  it('loads every shipped alert rule without errors', async () => {
    const res = await fetch(`${promUrl}/api/v1/rules`);
    const body = (await res.json()) as PromResponse<{
      groups: { rules: { name: string; health: string; lastError?: string }[] }[];
    }>;
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.name)).toContain('FraudPipelineLatencyP99High');
    expect(rules.map((r) => r.name)).toContain('FraudGraphWritesFailing');
    expect(rules.length).toBeGreaterThanOrEqual(11);
    // Rules evaluate every second; give them one round.
    await sleep(1_500);
    const again = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as typeof body;
    const unhealthy = again.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
    expect(unhealthy).toEqual([]);
  });

  it('evaluates every Grafana panel query as valid PromQL', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(ROOT, 'infra/grafana/dashboards/fraud-overview.json'), 'utf8'),
    ) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
    );
    expect(exprs.length).toBeGreaterThan(15);
    const failures: string[] = [];
    for (const { panel, expr } of exprs) {
      // Grafana's macros, as Grafana would substitute them.
      const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m');
      const r = await query(promql);
      if (r.status !== 'success') failures.push(`${panel}: ${r.error}`);
    }
    expect(failures).toEqual([]);
    // And the headline panel has data once decisions flowed.
    const tpm = await query<{ result: unknown[] }>('sum(rate(fraud_transactions_total[1m])) * 60');
    expect(tpm.status).toBe('success');
  });
});
