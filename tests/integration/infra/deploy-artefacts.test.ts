/**
 * The deployment artefacts cannot run here (no Docker engine, no cluster, no cloud), so this
 * keeps them consistent with the code instead: every metric a dashboard or alert names exists in
 * the platform's registry, every command and flag a container runs exists in the CLI, every
 * variable compose sets is one src/config reads, and the chart's copies match their sources.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Command } from '../../../src/cli/command.ts';
import { GraphServiceMetrics, PlatformMetrics } from '../../../src/services/telemetry/metrics.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

/** Every metric a platform process exports: the decision services' and the graph service's. */
async function registryNames(): Promise<Map<string, string>> {
  const metrics = [
    ...(await new PlatformMetrics().registry.getMetricsAsJSON()),
    ...(await new GraphServiceMetrics().registry.getMetricsAsJSON()),
  ];
  return new Map(metrics.map((m) => [m.name, String(m.type)]));
}

/** `fraud_x_bucket` → `fraud_x` when `fraud_x` is a histogram; unknown names come back unchanged. */
function baseName(name: string, known: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && known.get(base) === 'histogram') return base;
  }
  return name;
}

function metricNamesIn(text: string): string[] {
  return [...new Set(text.match(/\bfraud_[a-z0-9_]+/g) ?? [])];
}

async function loadCommand(name: string): Promise<Command | null> {
  const file = join(ROOT, 'src/cli/commands', `${name}.ts`);
  if (!existsSync(file)) return null;
  return ((await import(file)) as { default: Command }).default;
}

/** Each argv a container runs must name a real command, and every --flag must be in its usage. */
async function checkArgv(argv: readonly string[]): Promise<string[]> {
  const [name, ...rest] = argv;
  const command = await loadCommand(String(name));
  if (!command) return [`'${name}' is not a bin/fraud command (src/cli/commands/${name}.ts missing)`];
  return rest
    .filter((a) => a.startsWith('--'))
    .filter((flag) => !command.usage.includes(flag))
    .map((flag) => `'${name}' has no ${flag} in its usage`);
}

/** Variables src/config reads (the contract the compose file and Helm chart must speak). */
function configVariables(): Set<string> {
  const src = read('src/config/index.ts');
  return new Set([...src.matchAll(/\((?:env|env, )?\s*env,\s*'([A-Z0-9_]+)'/g)].map((m) => m[1]!));
}

describe('dashboards and alerts name metrics the services export', () => {
  it('every fraud_* series in the Grafana dashboard exists in PlatformMetrics or GraphServiceMetrics', async () => {
    const known = await registryNames();
    const used = metricNamesIn(read('infra/grafana/dashboards/fraud-overview.json'));
    expect(used.length).toBeGreaterThan(8);
    expect(used.map((n) => baseName(n, known)).filter((n) => !known.has(n))).toEqual([]);
  });

  it('every fraud_* series in the Prometheus alert rules exists in PlatformMetrics or GraphServiceMetrics', async () => {
    const known = await registryNames();
    const used = metricNamesIn(read('infra/prometheus/alerts.yml'));
    expect(used.length).toBeGreaterThan(4);
    expect(used.map((n) => baseName(n, known)).filter((n) => !known.has(n))).toEqual([]);
  });

  it('the dashboard and the alerts cover the graph service', async () => {
    const graphNames = (
      await new GraphServiceMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()
    ).map((m) => m.name);
    expect(graphNames.every((n) => n.startsWith('fraud_graph_'))).toBe(true);
    const known = await registryNames();
    const onDashboard = new Set(
      metricNamesIn(read('infra/grafana/dashboards/fraud-overview.json')).map((n) => baseName(n, known)),
    );
    // Everything but the batch counter (used by the alerts) has a panel.
    expect(graphNames.filter((n) => !onDashboard.has(n))).toEqual(['fraud_graph_batches_total']);
    const alerts = read('infra/prometheus/alerts.yml');
    for (const n of [
      'fraud_graph_write_retries_total',
      'fraud_graph_last_delay_seconds',
      'fraud_graph_batches_total',
    ])
      expect(alerts).toContain(n);
  });

  it('the brief dashboards are all present', () => {
    const titles = (
      JSON.parse(read('infra/grafana/dashboards/fraud-overview.json')) as { panels: { title: string }[] }
    ).panels.map((p) => p.title);
    for (const t of [
      'Transactions per minute',
      'Pipeline latency (Kafka, end to end)',
      'Score distribution',
      'Alerts and manual review rate',
      'Decision mix',
      'Consumer lag',
    ]) {
      expect(titles).toContain(t);
    }
  });

  it('the dashboard JSON is what its generator produces (no hand edits, no drift)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'infra/grafana/generate-dashboards.ts'), '--check'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('the Helm chart ships the same alert rules and dashboards as infra/', () => {
    expect(read('infra/helm/fraud-platform/files/alerts.yml')).toBe(read('infra/prometheus/alerts.yml'));
    const chartDashboards = readdirSync(join(ROOT, 'infra/helm/fraud-platform/files/dashboards')).sort();
    expect(chartDashboards).toEqual(readdirSync(join(ROOT, 'infra/grafana/dashboards')).sort());
    for (const f of chartDashboards) {
      expect(read(`infra/helm/fraud-platform/files/dashboards/${f}`)).toBe(
        read(`infra/grafana/dashboards/${f}`),
      );
    }
  });
});

describe('docker compose matches the code', () => {
  const compose = parse(read('docker/docker-compose.yml'), { merge: true }) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string>; build?: unknown }>;
  };
  const platform = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

  it('runs the platform services the brief lists, with Kafka in KRaft mode and no ZooKeeper', () => {
    expect(platform.map(([n]) => n).sort()).toEqual([
      'api',
      'graph-service',
      'processor',
      'simulator',
      'topics',
    ]);
    const kafka = compose.services['kafka']!;
    expect(kafka.environment?.['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(Object.keys(compose.services).some((n) => /zookeeper/i.test(n))).toBe(false);
    expect(JSON.stringify(compose)).not.toMatch(/zookeeper/i);
  });

  it('every platform container runs an existing bin/fraud command with flags it accepts', async () => {
    const problems: string[] = [];
    for (const [name, s] of platform) {
      // Compose interpolates ${VAR:-default} before running; check the default.
      const argv = (s.command ?? []).map((a) => a.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1'));
      for (const p of await checkArgv(argv)) problems.push(`${name}: ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('sets only variables src/config reads (plus the healthcheck HEALTH_PORT/HEALTH_PATH)', () => {
    const known = configVariables();
    expect(known.has('KAFKA_BROKERS')).toBe(true);
    for (const [name, s] of platform) {
      const unknown = Object.keys(s.environment ?? {}).filter(
        (k) => !known.has(k) && !k.startsWith('HEALTH_'),
      );
      expect(unknown, name).toEqual([]);
      for (const needed of ['KAFKA_BROKERS', 'REDIS_URL', 'NEO4J_URI', 'DATABASE_URL']) {
        expect(Object.keys(s.environment ?? {}), `${name} sets ${needed}`).toContain(needed);
      }
    }
  });
});

describe('the Helm chart matches the code', () => {
  const values = parse(read('infra/helm/fraud-platform/values.yaml')) as Record<
    string,
    { args?: string[]; port?: number; autoscaling?: { maxReplicas: number }; replicas?: number }
  > & { config: { partitions: number }; secrets: { existingSecret: string } };

  it('every component runs an existing bin/fraud command with flags it accepts', async () => {
    const problems: string[] = [];
    for (const c of ['processor', 'api', 'graphService', 'simulator']) {
      for (const p of await checkArgv(values[c]?.args ?? [])) problems.push(`${c}: ${p}`);
    }
    expect(problems).toEqual([]);
  });

  it('ships no credentials and keeps processor replicas within the partition count', () => {
    expect(values.secrets.existingSecret).toBe('');
    // Any password/token-like setting outside secrets.keys (which names Secret keys) must be empty.
    const filled: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        const here = path ? `${path}.${k}` : k;
        if (here.startsWith('secrets.keys')) continue;
        if (/password|token|apikey/i.test(k) && typeof v === 'string' && v !== '') filled.push(here);
        walk(v, here);
      }
    };
    walk(values, '');
    expect(filled).toEqual([]);
    for (const [variable, key] of Object.entries(
      (values.secrets as unknown as { keys: Record<string, string> }).keys,
    )) {
      expect(key === '' || key === variable, `secrets.keys.${variable} names a Secret key`).toBe(true);
    }
    const partitions = values.config.partitions;
    expect(values['processor']!.replicas!).toBeLessThanOrEqual(partitions);
    expect(values['processor']!.autoscaling!.maxReplicas).toBeLessThanOrEqual(partitions);
    expect(
      (values['processor'] as unknown as { keda: { maxReplicas: number } }).keda.maxReplicas,
    ).toBeLessThanOrEqual(partitions);
  });

  it('the default values satisfy values.schema.json, and the schema rejects a mistyped value', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(read('infra/helm/fraud-platform/values.schema.json')));
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    const bad = structuredClone(values) as unknown as { config: { partitions: unknown } };
    bad.config.partitions = 'six';
    expect(validate(bad)).toBe(false);
  });

  it('sets only variables src/config reads (plus NODE_EXTRA_CA_CERTS, read by Node)', () => {
    const known = configVariables();
    const helpers = read('infra/helm/fraud-platform/templates/_helpers.tpl');
    const set = [...helpers.matchAll(/^- name: ([A-Z0-9_]+)$/gm)].map((m) => m[1]!);
    expect(set).toContain('KAFKA_REPLICATION_FACTOR');
    expect(set.filter((v) => !known.has(v) && v !== 'NODE_EXTRA_CA_CERTS')).toEqual([]);
    const keys = Object.keys((values.secrets as unknown as { keys: Record<string, string> }).keys);
    expect(keys.filter((v) => !known.has(v))).toEqual([]);
  });

  it('the schema takes a replication factor of 0 (the cluster default) to 32, like the config', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(read('infra/helm/fraud-platform/values.schema.json')));
    const withFactor = (f: unknown) => {
      const v = structuredClone(values) as unknown as { config: Record<string, unknown> };
      v.config['kafkaReplicationFactor'] = f;
      return validate(v);
    };
    expect((values.config as unknown as Record<string, unknown>)['kafkaReplicationFactor']).toBe(0);
    expect([0, 1, 3, 32].map(withFactor)).toEqual([true, true, true, true]);
    expect([-1, 33, '3'].map(withFactor)).toEqual([false, false, false]);
  });

  it('templates have balanced actions and blocks', () => {
    // A cheap structural check that runs anywhere; `helm lint --strict` and `helm template` are the
    // real ones (run by hand with Helm 3.19, see docs/deployment.md).
    const dir = join(ROOT, 'infra/helm/fraud-platform/templates');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml') || n.endsWith('.tpl'))) {
      const text = read(`infra/helm/fraud-platform/templates/${f}`);
      expect((text.match(/\{\{/g) ?? []).length, `${f}: unbalanced braces`).toBe(
        (text.match(/\}\}/g) ?? []).length,
      );
      const opens = (text.match(/\{\{-?\s*(if|range|with|define)\b/g) ?? []).length;
      const ends = (text.match(/\{\{-?\s*end\b/g) ?? []).length;
      expect(ends, `${f}: every if/range/with/define needs an end`).toBe(opens);
    }
  });
});

describe('the graph service is probed and scraped where it listens', () => {
  const httpPort = (argv: readonly string[] | undefined) => {
    const i = (argv ?? []).indexOf('--http');
    return i < 0 ? undefined : Number(argv?.[i + 1]);
  };
  type Scrape = {
    job_name: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; port: number }[];
  };
  const jobs = (file: string) =>
    (parse(read(file)) as { scrape_configs: Scrape[] }).scrape_configs.filter(
      (j) => j.job_name === 'fraud-graph-service',
    );

  it('compose: --http port = healthcheck port, readiness on /readyz, scraped by prometheus.yml', () => {
    const compose = parse(read('docker/docker-compose.yml'), { merge: true }) as {
      services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
    };
    const gs = compose.services['graph-service']!;
    const port = httpPort(gs.command);
    expect(port).toBe(9465);
    expect(gs.environment?.['HEALTH_PORT']).toBe(String(port));
    expect(gs.environment?.['HEALTH_PATH']).toBeUndefined();
    const [job] = jobs('infra/prometheus/prometheus.yml');
    expect(job?.dns_sd_configs?.[0]).toEqual({ names: ['graph-service'], type: 'A', port });
  });

  it('local Prometheus scrapes the documented default port', () => {
    const [job] = jobs('infra/prometheus/prometheus.local.yml');
    expect(job?.static_configs?.[0]?.targets).toEqual(['127.0.0.1:9465']);
  });

  it('Helm: the container port is the --http port, metrics on, readiness on /readyz', () => {
    const gs = (
      parse(read('infra/helm/fraud-platform/values.yaml')) as Record<string, Record<string, unknown>>
    )['graphService']!;
    expect(httpPort(gs['args'] as string[])).toBe(gs['port']);
    expect(gs['metrics']).not.toBe(false);
    expect(gs['readinessPath'] ?? '/readyz').toBe('/readyz');
  });
});
