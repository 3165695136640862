import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryBus } from '../../../src/adapters/bus-memory/index.ts';
import { BRIEF_EXAMPLE_TRANSACTION } from '../../../src/core/contracts/index.ts';
import { type DecisionFacts, policyCompiler } from '../../../src/core/decision/index.ts';
import { ListStore } from '../../../src/core/lists/index.ts';
import type { Catalogue } from '../../../src/core/rules/index.ts';
import { WATCH_FETCH } from '../../../src/ports/index.ts';
import { type BacktestItem, formatReport, runBacktest } from '../../../src/services/rules-engine/backtest.ts';
import {
  JsonFileListPersistence,
  ListService,
  listsPlugin,
  PolicyHolder,
  publishRuleSet,
  rulesPlugin,
  watchRuleTopic,
} from '../../../src/services/rules-engine/index.ts';

const catalogue: Catalogue = { featureNames: ['card_count_1h'], graphSignals: null };
const setA =
  'label: a\nrules:\n  - id: big\n    when: { tx.amount: { gte: 1000 } }\n    action: review\n    reason: big_amount\n';
const setB = setA.replace('label: a', 'label: b').replace('gte: 1000', 'gte: 2000');
const facts = (amount: number, over: Partial<DecisionFacts> = {}): DecisionFacts => ({
  transaction: { ...BRIEF_EXAMPLE_TRANSACTION, amount, transaction_id: `tx_${amount}` },
  features: Float64Array.from([1]),
  modelScore: 0.1,
  graph: {},
  ...over,
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rules-engine-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function newHolder(lists = new ListStore()) {
  const compile = policyCompiler({ catalogue, lists });
  return new PolicyHolder(compile(setA, 'a.yaml'), compile);
}

describe('PolicyHolder', () => {
  it('swaps atomically, notifies listeners, and keeps the running version on an invalid set', () => {
    const holder = newHolder();
    const seen: string[] = [];
    holder.onSwap((s) =>
      seen.push(`${s.previous.version.split('+')[0]}->${s.current.version.split('+')[0]}`),
    );
    expect(holder.current.decide(facts(1250)).decision).toBe('review');
    holder.deploy(setB, 'b.yaml', 'test');
    expect(holder.current.decide(facts(1250)).decision).toBe('approve');
    expect(() => holder.deploy(setB.replace('tx.amount', 'tx.amout'), 'bad.yaml', 'test')).toThrow(
      /bad.yaml:4:/,
    );
    expect(holder.current.version).toMatch(/^b\+/);
    // Same version again: no swap, no notification.
    holder.deploy(setB, 'b2.yaml', 'test');
    expect(seen).toEqual(['a->b']);
  });
});

describe('watchRuleTopic (in-process bus)', () => {
  it('applies the latest set from the earliest offset, broadcasts to every watcher, skips invalid sets', async () => {
    const bus = new MemoryBus({ partitions: 1 });
    await bus.ensureTopics([{ name: 'rules', partitions: 1 }]);
    await publishRuleSet(bus, { version: 'x', file: 'b.yaml', source: setB });
    const h1 = newHolder();
    const h2 = newHolder();
    const rejects: string[] = [];
    const subscribe = vi.spyOn(bus, 'subscribe');
    const w1 = await watchRuleTopic(bus, h1, { onReject: (e) => rejects.push(e.message) });
    const w2 = await watchRuleTopic(bus, h2, { catchUpMs: 5000 });
    await Promise.all([w1.ready, w2.ready]);
    // On Kafka an idle fetch is held 500 ms, yet a new set is answered at once (WATCH_FETCH).
    expect(subscribe.mock.calls.map(([o]) => o.fetch)).toEqual([WATCH_FETCH, WATCH_FETCH]);
    expect(h1.current.version).toMatch(/^b\+/);
    expect(h2.current.version).toMatch(/^b\+/);

    await publishRuleSet(bus, {
      version: 'y',
      file: 'bad.yaml',
      source: setA.replace('tx.amount', 'tx.amout'),
    });
    const setC = setA.replace('label: a', 'label: c');
    await publishRuleSet(bus, { version: 'z', file: 'c.yaml', source: setC });
    for (let i = 0; i < 100 && !h2.current.version.startsWith('c+'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(h1.current.version).toMatch(/^c\+/);
    expect(h2.current.version).toMatch(/^c\+/);
    expect(rejects.some((m) => /unknown transaction field 'tx.amout'/.test(m))).toBe(true);
    await w1.close();
    await w2.close();
    await bus.close();
  });
});

describe('HTTP plugins', () => {
  it('PUT /v1/rules validates and activates; an invalid set answers 422 with positions and stays inactive', async () => {
    const holder = newHolder();
    const published: string[] = [];
    const app = Fastify();
    await app.register(rulesPlugin, { policy: holder, publish: async (s) => void published.push(s.version) });
    const bad = await app.inject({
      method: 'PUT',
      url: '/v1/rules?file=bad.yaml',
      payload: setB.replace('tx.amount', 'tx.amout'),
      headers: { 'content-type': 'application/yaml' },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('FRAUD_RULE_UNKNOWN_FEATURE');
    expect(bad.json().error.details[0].field).toBe('bad.yaml:4:13');
    expect(holder.current.version).toMatch(/^a\+/);

    const dry = await app.inject({
      method: 'PUT',
      url: '/v1/rules?dry_run=true',
      payload: setB,
      headers: { 'content-type': 'text/yaml' },
    });
    expect(dry.json()).toMatchObject({ valid: true, activated: false });
    expect(holder.current.version).toMatch(/^a\+/);

    const json = JSON.stringify({
      label: 'j',
      rules: [{ id: 'r', when: { 'tx.amount': { gt: 1 } }, action: 'review', reason: 'r' }],
    });
    const ok = await app.inject({
      method: 'PUT',
      url: '/v1/rules',
      payload: json,
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ activated: true, published: true });
    expect(holder.current.version).toMatch(/^j\+/);
    expect(published).toEqual([holder.current.version]);

    const get = await app.inject({ method: 'GET', url: '/v1/rules?source=true' });
    expect(get.json()).toMatchObject({ version: holder.current.version, label: 'j', rules: 1, source: json });
    await app.close();
  });

  it('lists: add, show, import CSV with line-numbered rejects, delete; allow-list hits approve', async () => {
    const file = join(dir, 'lists.json');
    const lists = await ListService.open(new JsonFileListPersistence(file));
    const holder = newHolder(lists.store);
    const app = Fastify();
    await app.register(listsPlugin, { lists });
    const add = await app.inject({
      method: 'POST',
      url: '/v1/lists',
      payload: { kind: 'allow', entity: 'card', value: 'card_1234', expires_in: '7d' },
    });
    expect(add.statusCode).toBe(201);
    expect(holder.current.decide(facts(5000)).reasons).toEqual(['allow_list_card']);
    const badAdd = await app.inject({
      method: 'POST',
      url: '/v1/lists',
      payload: { kind: 'deny', entity: 'planet', value: 'x' },
    });
    expect(badAdd.statusCode).toBe(400);
    const imp = await app.inject({
      method: 'POST',
      url: '/v1/lists/import?kind=deny',
      payload: 'entity,value\ndevice,dev_9\ncountry,Brazil\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(imp.json()).toMatchObject({ imported: 1, rejected: [{ line: 3 }] });
    const show = await app.inject({ method: 'GET', url: '/v1/lists?kind=deny' });
    expect(show.json().entries.map((e: { value: string }) => e.value)).toEqual(['dev_9']);
    expect(JSON.parse(await readFile(file, 'utf8')).entries).toHaveLength(2);
    const del = await app.inject({ method: 'DELETE', url: '/v1/lists/allow/card/card_1234' });
    expect(del.statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/v1/lists/allow/card/card_1234' })).statusCode).toBe(
      404,
    );
    expect(holder.current.decide(facts(5000)).reasons).toEqual(['big_amount']);
    await app.close();
  });

  it('a list service picks up changes another process wrote to the file', async () => {
    const file = join(dir, 'shared.json');
    const a = await ListService.open(new JsonFileListPersistence(file));
    const b = await ListService.open(new JsonFileListPersistence(file));
    await a.add([{ kind: 'deny', entity: 'ip', value: '1.2.3.4', added_at: '2026-01-01T00:00:00Z' }]);
    await b.add([{ kind: 'deny', entity: 'ip', value: '5.6.7.8', added_at: '2026-01-01T00:00:00Z' }]);
    // b re-read before writing: a's entry survived.
    expect(b.store.entries().map((e) => e.value)).toEqual(['1.2.3.4', '5.6.7.8']);
    await a.reload();
    expect(a.store.entries()).toHaveLength(2);
    await writeFile(file, '{ not json');
    await expect(a.reload()).rejects.toThrow(/not JSON/);
  });
});

describe('backtest', () => {
  it('reports per-rule and overall precision/recall/FPR and the diff against a baseline', async () => {
    const compile = policyCompiler({
      catalogue,
      lists: new ListStore(),
      policyOverrides: { missing_model: 'ignore' },
    });
    const candidate = compile(
      setA.replace(
        'rules:',
        'rules:\n  - id: shadowy\n    shadow: true\n    when: { tx.amount: { gte: 1 } }\n    action: block\n    reason: s\n',
      ),
      'a.yaml',
    );
    const baseline = compile(setB, 'b.yaml');
    const amounts = [500, 1500, 1500, 2500, 2500, 3000];
    const fraud = new Set(['tx_2500', 'tx_3000', 'tx_1500']);
    const items: BacktestItem[] = amounts.map((a, i) => ({
      line: i + 1,
      transaction: { ...BRIEF_EXAMPLE_TRANSACTION, amount: a, transaction_id: `tx_${a}` },
      vector: Float64Array.from([0]),
      modelScore: null,
    }));
    const labels = new Map(
      [...new Set(amounts)].map((a) => [`tx_${a}`, { isFraud: fraud.has(`tx_${a}`), labeledAt: 0 }]),
    );
    async function* batches() {
      yield items.slice(0, 3);
      yield items.slice(3);
    }
    const r = await runBacktest({ candidate, baseline, items: batches(), labels });
    expect(r.transactions).toBe(6);
    expect(r.fraud).toBe(5); // tx ids repeat: 1500 ×2, 2500 ×2, 3000
    expect(r.candidate.counts).toEqual({ approve: 1, review: 5, block: 0 });
    expect(r.baseline!.counts).toEqual({ approve: 3, review: 3, block: 0 });
    expect(r.diff!.changed).toBe(2);
    expect(r.diff!.transitions).toEqual({ 'approve->review': 2 });
    expect(r.diff!.examples['approve->review']![0]).toMatchObject({
      transaction_id: 'tx_1500',
      is_fraud: true,
    });
    const big = r.rules.find((x) => x.rule_id === 'big')!;
    expect(big).toMatchObject({ hits: 5, precision: 1, recall: 1, false_positive_rate: 0 });
    const shadow = r.rules.find((x) => x.rule_id === 'shadowy')!;
    expect(shadow).toMatchObject({ shadow: true, hits: 6, recall: 1, false_positive_rate: 1 });
    expect(r.candidate.flagged.precision).toBe(1);
    const text = formatReport(r);
    expect(text).toMatch(/big\s+review\s+5/);
    expect(text).toMatch(/Diff vs baseline: 2 decisions change/);
    expect(text).toMatch(/tx_1500 \(fraud\): low_risk -> big_amount/);
  });
});

describe('switch under load', () => {
  it('a rule set switch loses no transaction and never mixes versions within one batch', async () => {
    const { DecisionEngine } = await import('../../../src/services/decision-engine/index.ts');
    const { MemoryFeatureStore } = await import('../../../src/adapters/features-memory/index.ts');
    const holder = newHolder();
    const engine = new DecisionEngine({
      features: new MemoryFeatureStore(),
      graph: { kind: 'none', signalsFor: () => undefined, observe: async () => {}, close: async () => {} },
      policy: holder,
      model: { current: null },
    });
    const sets = [setA, setB, setA.replace('label: a', 'label: c')];
    let sent = 0;
    let decided = 0;
    const versions = new Set<string>();
    for (let batch = 0; batch < 60; batch++) {
      const txs = Array.from({ length: 50 }, () => {
        const n = sent++;
        return {
          ...BRIEF_EXAMPLE_TRANSACTION,
          transaction_id: `sw_${n}`,
          card_id: `card_${n % 7}`,
          timestamp: new Date(Date.parse('2025-01-29T12:00:00Z') + n * 1000).toISOString(),
        };
      });
      const pending = engine.decide(txs);
      // Swap while the batch is in flight (the engine awaits the feature store first).
      holder.deploy(sets[batch % 3]!, `s${batch}.yaml`, 'test');
      const results = await pending;
      decided += results.length;
      const inBatch = new Set(results.map((r) => r.score.rule_set_version));
      expect(inBatch.size).toBe(1);
      versions.add([...inBatch][0]!);
    }
    expect(decided).toBe(sent);
    expect(versions.size).toBe(3);
  });
});

describe('startRulesRuntime', () => {
  it('wires lists, the holder, the topic watcher and the HTTP plugins for one process', async () => {
    const { startRulesRuntime } = await import('../../../src/services/rules-engine/index.ts');
    const { loadConfig } = await import('../../../src/config/index.ts');
    const config = loadConfig({ FRAUD_DATA_DIR: join(dir, 'runtime') });
    const bus = new MemoryBus({ partitions: 1 });
    const swaps: string[] = [];
    const rt = await startRulesRuntime(config, bus, {
      onSwap: (s) => swaps.push(s.current.version),
      file: undefined,
    });
    await rt.ready;
    expect(rt.policy.current.ruleSet.spec.name).toBe('default');
    expect(rt.listsWhere).toBe(join(dir, 'runtime', 'lists.json'));
    const app = Fastify();
    await rt.register(app);
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/rules?file=b.yaml',
      payload: setB,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(put.statusCode).toBe(200);
    expect(rt.policy.current.version).toMatch(/^b\+/);
    const add = await app.inject({
      method: 'POST',
      url: '/v1/lists',
      payload: { kind: 'deny', entity: 'card', value: 'card_1234' },
    });
    expect(add.statusCode).toBe(201);
    expect(rt.policy.current.decide(facts(10)).reasons[0]).toBe('deny_list_card');
    expect(swaps[0]).toMatch(/^b\+/);
    await app.close();
    await rt.close();
    await bus.close();
  });
});

describe('withGraphReplay', () => {
  it('reads signals before writing each batch and feeds fraud labels only once known', async () => {
    const { withGraphReplay } = await import('../../../src/services/rules-engine/backtest.ts');
    const log: string[] = [];
    const graph = {
      signalsFor: (t: { transaction_id: string }) => {
        log.push(`read ${t.transaction_id}`);
        return { device_cards_24h: 1 };
      },
      observe: async (b: readonly { transaction: { transaction_id: string } }[]) => {
        log.push(`write ${b.map((x) => x.transaction.transaction_id).join(',')}`);
      },
      addLabels: async (ls: readonly { transaction_id: string }[]) => {
        log.push(`labels ${ls.map((l) => l.transaction_id).join(',')}`);
      },
    };
    const item = (id: string, ts: string, graph?: Record<string, number>): BacktestItem => ({
      line: 1,
      transaction: { ...BRIEF_EXAMPLE_TRANSACTION, transaction_id: id, timestamp: ts },
      vector: new Float64Array(0),
      modelScore: null,
      ...(graph ? { graph } : {}),
    });
    async function* batches() {
      yield [item('t1', '2025-01-01T00:00:00Z'), item('t2', '2025-01-01T00:01:00Z', { device_cards_24h: 9 })];
      yield [item('t3', '2025-01-03T00:00:00Z')];
    }
    const labels = new Map([
      ['t1', { isFraud: true, labeledAt: Date.parse('2025-01-02T00:00:00Z') }],
      ['t2', { isFraud: false, labeledAt: Date.parse('2025-01-02T00:00:00Z') }],
    ]);
    const out: BacktestItem[][] = [];
    for await (const b of withGraphReplay(batches(), graph, labels)) out.push(b);
    expect(out[0]!.map((x) => x.graph?.['device_cards_24h'])).toEqual([1, 9]);
    expect(log).toEqual(['read t1', 'write t1,t2', 'labels t1', 'read t3', 'write t3']);
  });
});
