/**
 * The graph service's alert rules, evaluated by Prometheus's own rule tester (`promtool test
 * rules`, Debian `prometheus` package) on synthetic series: each fires on the failure it names
 * and stays quiet on the harmless look-alike (a one-off retry, a short spike, a busy service).
 * Annotations are stripped from the copy under test: the expressions, `for` and labels are
 * what decide whether an alert fires.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../../..');
const PROMTOOL = process.env['FRAUD_PROMTOOL_BIN'] ?? 'promtool';

function requirePromtool(): void {
  try {
    execFileSync(PROMTOOL, ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `'${PROMTOOL}' not found: install the Debian package (apt-get install prometheus; scripts/setup.sh system) or set FRAUD_PROMTOOL_BIN`,
    );
  }
}

type Rule = { alert?: string; annotations?: unknown };
const dir = mkdtempSync(join(tmpdir(), 'fraud-alerts-'));
const rulesFile = join(dir, 'alerts.yml');
{
  const rules = parse(readFileSync(join(ROOT, 'infra/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  };
  for (const g of rules.groups) for (const r of g.rules) delete r.annotations;
  writeFileSync(rulesFile, stringify(rules));
}

const INSTANCE = 'graph-service:9465';
const series = (name: string, values: string, instance = INSTANCE) => ({
  series: `${name}{instance="${instance}", job="fraud-graph-service"}`,
  values,
});

interface AlertCase {
  readonly input: { series: string; values: string }[];
  /** [eval time, alert, firing?] */
  readonly checks: [string, string, boolean][];
}

/** Runs promtool on the cases (15 s samples and evaluations); returns its output on failure. */
function promtool(cases: AlertCase[]): { ok: boolean; output: string } {
  const tests = cases.map((c) => ({
    interval: '15s',
    input_series: c.input,
    alert_rule_test: c.checks.map(([at, alertname, firing]) => ({
      eval_time: at,
      alertname,
      exp_alerts: firing
        ? [{ exp_labels: { alertname, instance: INSTANCE, severity: severityOf(alertname) } }]
        : [],
    })),
  }));
  const file = join(dir, `test-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, stringify({ rule_files: [rulesFile], evaluation_interval: '15s', tests }));
  const r = spawnSync(PROMTOOL, ['test', 'rules', file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

function severityOf(alertname: string): string {
  const rules = parse(readFileSync(rulesFile, 'utf8')) as {
    groups: { rules: (Rule & { labels?: { severity?: string } })[] }[];
  };
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === alertname);
  if (!rule) throw new Error(`no alert ${alertname} in alerts.yml`);
  return String(rule.labels?.severity);
}

describe('graph service alert rules (promtool test rules)', () => {
  requirePromtool();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('FraudGraphWritesFailing: fires on retries that go on for 5 minutes, not on a one-off retry', () => {
    const r = promtool([
      {
        // Neo4j down: a failed attempt every 15 s (the back-off caps at 10 s).
        input: [series('fraud_graph_write_retries_total', '0+1x80')],
        checks: [
          ['4m', 'FraudGraphWritesFailing', false],
          ['6m', 'FraudGraphWritesFailing', true],
        ],
      },
      {
        // One retry (a deadlock, a leader change) and then nothing.
        input: [series('fraud_graph_write_retries_total', '0 1x80')],
        checks: [
          ['3m', 'FraudGraphWritesFailing', false],
          ['6m', 'FraudGraphWritesFailing', false],
          ['15m', 'FraudGraphWritesFailing', false],
        ],
      },
    ]);
    expect(r.ok, r.output).toBe(true);
  });

  it('FraudGraphBehind: fires when the last batch is more than 120 s behind for 10 minutes, not on a spike', () => {
    const r = promtool([
      {
        input: [series('fraud_graph_last_delay_seconds', '300x80')],
        checks: [
          ['9m', 'FraudGraphBehind', false],
          ['11m', 'FraudGraphBehind', true],
        ],
      },
      {
        // Five minutes behind after a restart, then caught up (0).
        input: [series('fraud_graph_last_delay_seconds', '300x20 0x60')],
        checks: [['12m', 'FraudGraphBehind', false]],
      },
    ]);
    expect(r.ok, r.output).toBe(true);
  });

  it('FraudGraphStalled: fires when records wait and no batch commits for 10 minutes, not while batches commit or just after a start', () => {
    const r = promtool([
      {
        // Up since t=0, 250 records waiting, the batch counter frozen at 40.
        input: [
          series('fraud_graph_pending_records', '250x80'),
          series('fraud_graph_batches_total', '40x80'),
          series('fraud_process_start_time_seconds', '0x80'),
        ],
        checks: [
          ['5m', 'FraudGraphStalled', false],
          ['11m', 'FraudGraphStalled', false],
          ['13m', 'FraudGraphStalled', true],
        ],
      },
      {
        // Busy and keeping up: records are always waiting, batches commit.
        input: [
          series('fraud_graph_pending_records', '250x80'),
          series('fraud_graph_batches_total', '0+3x80'),
          series('fraud_process_start_time_seconds', '0x80'),
        ],
        checks: [['15m', 'FraudGraphStalled', false]],
      },
      {
        // Caught up and idle: nothing waits, nothing commits.
        input: [
          series('fraud_graph_pending_records', '0x80'),
          series('fraud_graph_batches_total', '40x80'),
          series('fraud_process_start_time_seconds', '0x80'),
        ],
        checks: [['15m', 'FraudGraphStalled', false]],
      },
    ]);
    expect(r.ok, r.output).toBe(true);
  });
});
