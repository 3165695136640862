import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseRuleSet } from '../../../src/core/rules/index.ts';
import {
  DEFAULT_RULES_FILE,
  loadCatalogue,
  loadDecisionPolicy,
} from '../../../src/services/rules-engine/index.ts';

const root = new URL('../../../', import.meta.url).pathname;
const run = promisify(execFile);

describe('shipped rule sets', () => {
  it('every file under rules/ validates against the real feature and graph catalogues', async () => {
    const catalogue = await loadCatalogue();
    const files = (await readdir(join(root, 'rules'))).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files).toContain('default.yaml');
    for (const f of files) {
      const r = parseRuleSet(await readFile(join(root, 'rules', f), 'utf8'), f, catalogue);
      expect(r.ok ? [] : r.issues).toEqual([]);
    }
  });

  it('the default policy loads and covers the simulator scenarios', async () => {
    const policy = await loadDecisionPolicy();
    expect(DEFAULT_RULES_FILE.endsWith('rules/default.yaml')).toBe(true);
    const reasons = new Set(policy.ruleSet.spec.rules.map((r) => r.reason));
    for (const r of [
      'card_testing_velocity',
      'account_takeover_pattern',
      'impossible_travel',
      'high_risk_graph_pattern',
    ]) {
      expect(reasons.has(r)).toBe(true);
    }
    expect(policy.ruleSet.shadow.length).toBeGreaterThan(0);
  });
});

describe('bin/fraud rules validate', () => {
  it('exits non-zero on a typo in a feature name and names the line', async () => {
    const source = (await readFile(DEFAULT_RULES_FILE, 'utf8')).replace(
      'feature.card_count_10m',
      'feature.card_cuont_10m',
    );
    const line = source.split('\n').findIndex((l) => l.includes('card_cuont_10m')) + 1;
    const file = join(tmpdir(), `typo-${process.pid}.yaml`);
    await writeFile(file, source);
    const err = await run(join(root, 'bin/fraud'), ['rules', 'validate', file]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.code).toBe(1);
    expect(err!.stderr).toContain(`${file}:${line}:`);
    expect(err!.stderr).toContain(
      "unknown feature 'card_cuont_10m' (did you mean 'feature.card_count_10m'?)",
    );
    const ok = await run(join(root, 'bin/fraud'), ['rules', 'validate', DEFAULT_RULES_FILE]);
    expect(ok.stdout).toMatch(/valid, version 2026\.\S+\+[0-9a-f]{12}/);
  });
});

describe('bin/fraud rules deploy (embedded mode)', () => {
  it('PUTs the set to the running API, which switches; an invalid set exits non-zero and is not activated', async () => {
    const Fastify = (await import('fastify')).default;
    const { createPolicyHolder, rulesPlugin } = await import('../../../src/services/rules-engine/index.ts');
    const holder = await createPolicyHolder();
    const app = Fastify();
    await app.register(rulesPlugin, { policy: holder });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const env = { ...process.env, FRAUD_API_URL: address, KAFKA_BROKERS: '' };
      const source = (await readFile(DEFAULT_RULES_FILE, 'utf8')).replace(
        /^label: .*$/m,
        'label: deploy-test',
      );
      const file = join(tmpdir(), `deploy-${process.pid}.yaml`);
      await writeFile(file, source);
      const ok = await run(join(root, 'bin/fraud'), ['rules', 'deploy', file], { env });
      expect(ok.stdout).toMatch(new RegExp(`deployed deploy-test\\+[0-9a-f]{12} to ${address}`));
      expect(holder.current.version).toMatch(/^deploy-test\+/);
      const shown = JSON.parse((await run(join(root, 'bin/fraud'), ['rules', 'show'], { env })).stdout) as {
        version: string;
      };
      expect(shown.version).toBe(holder.current.version);

      await writeFile(
        file,
        source
          .replace('label: deploy-test', 'label: broken')
          .replace('feature.card_count_1h', 'feature.card_count_1x'),
      );
      const bad = await run(join(root, 'bin/fraud'), ['rules', 'deploy', file], { env }).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(bad?.code).toBe(1);
      expect(holder.current.version).toMatch(/^deploy-test\+/);
    } finally {
      await app.close();
    }
  });
});
