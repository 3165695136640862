import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '../../src/core/contracts/index.ts';
import { WEB_DIST } from '../../src/services/console/index.ts';
import { type Harness, settled, startHarness } from './harness.ts';

/**
 * Issue 7, acceptance: "log in as an analyst; watch a simulated fraud alert arrive; open it and
 * see rule hits and explanation; mark it confirmed fraud; assert that the label reached the
 * label store and the audit log; log in as a viewer and assert that masking applies and
 * verdict actions are refused. Save screenshots of the dashboard and the case view."
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = join(new URL('../..', import.meta.url).pathname, 'artifacts', 'screenshots');
// The flags from docs: headless Chromium on a machine with no GPU, sandbox or network.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let h: Harness;
const contexts: BrowserContext[] = [];
const profiles: string[] = [];

async function browser(): Promise<Page> {
  const profile = await mkdtemp(join(tmpdir(), 'fraud-chromium-'));
  profiles.push(profile);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 1000 },
  });
  contexts.push(ctx);
  return ctx.pages()[0] ?? (await ctx.newPage());
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto(h.url);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.getByTestId('who').filter({ hasText: username }).waitFor();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup.sh system (apt chromium)`);
  if (!existsSync(join(WEB_DIST, 'index.html')))
    throw new Error('console not built: run scripts/setup.sh node');
  await mkdir(SHOTS, { recursive: true });
  h = await startHarness();
  await h.seed(600, 30);
  await settled(h, 600);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  for (const p of profiles) await rm(p, { recursive: true, force: true });
  await h?.close();
});

describe('analyst console in Chromium', () => {
  let caseId = 0;
  let txId = '';

  it('an analyst signs in, sees the live dashboard, watches a fraud alert arrive, opens it and confirms fraud', async () => {
    const page = await browser();
    await signIn(page, 'analyst', 'analyst-demo');
    await page.locator('figure.chart').first().waitFor();
    await page.getByText('Transactions / min').waitFor();
    await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });

    await page.goto(`${h.url}/#/alerts`);
    await page.locator('.dot.live').waitFor();
    // Marks this document: if the page reloaded, the mark would be gone.
    await page.evaluate(() => {
      (globalThis as unknown as { __noReload: boolean }).__noReload = true;
    });
    const published = await h.publish({
      card: 'card_5580114242',
      customer: 'cust_browser',
      decision: 'block',
      score: 0.97,
      amount: 4999.9,
      device: 'dev_ring_77',
    });
    txId = published.transaction_id;
    const row = page.locator(`tr[data-alert-id="${published.alert_id}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { __noReload?: boolean }).__noReload)).toBe(
      true,
    );
    await page.getByTestId('toast').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'alerts.png') });

    await row.click();
    await page.getByTestId('rule-hits').waitFor();
    caseId = Number(/#\/cases\/(\d+)/.exec(page.url())![1]);
    const hits = await page.getByTestId('rule-hits').innerText();
    expect(hits).toContain('shared_device_many_cards');
    expect(hits).toContain('cards_per_device_7d=5');
    expect(await page.getByTestId('explanation').innerText()).toContain('cards_per_device_7d');
    expect(await page.getByTestId('case-card').innerText()).toBe('card_5580114242');
    await page.locator('figure.graph svg').waitFor();
    await page.screenshot({ path: join(SHOTS, 'case-view.png'), fullPage: true });

    await page.getByRole('button', { name: 'Confirmed fraud' }).click();
    await page.locator('.page-head .badge.b-closed').waitFor();
    await page.getByTestId('labels').getByText('published to labels topic').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SHOTS, 'case-closed.png'), fullPage: true });
  });

  it('the verdict reached the label store, the labels topic and the audit log', async () => {
    const labels = await h.store.labelsFor(txId);
    expect(labels).toEqual([
      expect.objectContaining({ is_fraud: true, source: 'analyst', labeled_by: 'analyst', case_id: caseId }),
    ]);
    const sub = await h.bus.subscribe({
      groupId: `browser-labels-${Date.now()}`,
      topics: [TOPICS.labels],
      from: 'earliest',
    });
    const records = (await sub.next()) ?? [];
    await sub.close();
    expect(records.map((r) => JSON.parse(r.value.toString()))).toContainEqual(
      expect.objectContaining({
        transaction_id: txId,
        is_fraud: true,
        source: 'analyst',
        labeled_by: 'analyst',
      }),
    );
    const audit = await h.store.queryAudit({ action: 'case.verdict', target_id: String(caseId) });
    expect(audit).toEqual([
      expect.objectContaining({
        actor: 'analyst',
        actor_role: 'analyst',
        before: expect.objectContaining({ status: 'open' }),
        after: expect.objectContaining({ status: 'closed', outcome: 'confirmed_fraud' }),
      }),
    ]);
  });

  it('a viewer sees masked identifiers and cannot decide', async () => {
    const open = await h.publish({
      card: 'card_7711009999',
      customer: 'cust_viewer',
      decision: 'review',
      score: 0.74,
      ip: '189.44.10.5',
    });
    await settled(h, 602);
    const page = await browser();
    await signIn(page, 'viewer', 'viewer-demo');
    const { rows } = await h.store.pool.query<{ case_id: number }>(
      'SELECT case_id FROM alerts WHERE alert_id = $1',
      [open.alert_id],
    );
    const openCase = rows[0]!.case_id;
    await page.goto(`${h.url}/#/cases/${openCase}`);
    await page.getByTestId('read-only').waitFor();
    const card = await page.getByTestId('case-card').innerText();
    expect(card).toBe('card_••••9999');
    const body = await page.locator('main.content').innerText();
    expect(body).not.toContain('card_7711009999');
    expect(body).not.toContain('189.44.10.5');
    expect(body).toContain('189.44.x.x');
    expect(await page.getByRole('button', { name: 'Confirmed fraud' }).count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'case-view-viewer.png'), fullPage: true });
    // The API refuses the verdict too, not just the UI.
    const status = await page.evaluate(
      (id) =>
        fetch(`/v1/cases/${id}/verdict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ outcome: 'legitimate' }),
        }).then(async (r) => ({
          status: r.status,
          code: ((await r.json()) as { error: { code: string } }).error.code,
        })),
      openCase,
    );
    expect(status).toEqual({ status: 403, code: 'FRAUD_FORBIDDEN' });
    // And the closed case shows the viewer masked data as well.
    await page.goto(`${h.url}/#/cases/${caseId}`);
    await page.getByTestId('case-card').filter({ hasText: '••••4242' }).waitFor();
  });
});
