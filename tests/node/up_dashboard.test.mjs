// Copyright idgen authors.
//
// The `idgen up` dashboard in a real browser (Debian's chromium through
// playwright-core, headless): the page first shows the login form, then the
// browser logs in through the printed login URL; every resource listed healthy; a trace of a
// gateway request with spans from two services, its waterfall; the metrics
// charts; a node restarted with its button. Loads nothing from another
// origin. A screenshot is saved (path printed). Fails, never skips, when
// /usr/bin/chromium is missing (scripts/setup.sh installs it).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import { chromium } from 'playwright-core';

import { freePort, tempDir, waitUntil } from './lib/harness.mjs';
import { resources, startUp } from './lib/up_harness.mjs';

const CHROMIUM = process.env.IDGEN_CHROMIUM || '/usr/bin/chromium';

test('dashboard: healthy resources, a cross-service trace, charts, restart button', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh`);
  const gwPort = await freePort();
  const dashPort = await freePort();
  const up = await startUp(t, [
    '--nodes', '2',
    '--state-dir', tempDir(t, 'idgen-up-dash-'),
    '--gateway-listen', `127.0.0.1:${gwPort}`,
    '--dashboard-listen', `127.0.0.1:${dashPort}`,
  ]);
  const base = `http://127.0.0.1:${dashPort}`;

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 60000,
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const foreign = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(base)) foreign.push(req.url());
  });
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  // Without a session: the login form, no resources.
  await page.goto(base, { waitUntil: 'load', timeout: 30000 });
  assert.equal(await page.locator('form#login').count(), 1);
  assert.equal(await page.locator('tr[data-resource]').count(), 0);
  // The printed login URL sets the cookie and lands on the dashboard.
  await page.goto(up.loginUrl, { waitUntil: 'load', timeout: 30000 });
  assert.equal(page.url(), `${base}/`);
  const cookies = await page.context().cookies();
  assert.equal(cookies.length, 1);
  assert.equal(cookies[0].httpOnly, true);
  assert.equal(cookies[0].sameSite, 'Strict');

  // Every resource is listed, healthy.
  for (const name of ['etcd-0', 'node-0', 'node-1', 'gateway']) {
    const state = page.locator(`tr[data-resource="${name}"] [data-state]`);
    await state.waitFor({ timeout: 30000 });
    await waitUntil(async () => (await state.getAttribute('data-state')) === 'healthy', {
      what: `${name} healthy in the page`,
    });
  }

  // A request through the gateway shows up as a trace across two services.
  const res = await fetch(`http://127.0.0.1:${gwPort}/v1/ids?count=4`);
  assert.equal(res.status, 200);
  await page.click('nav button[data-tab="traces"]');
  const row = page.locator('#trace-list tbody tr', { hasText: 'GET /v1/ids' }).first();
  await row.waitFor({ timeout: 30000 });
  assert.match(await row.innerText(), /idgen-gateway/);
  // The node's spans come in the node's own export, which may land after the
  // gateway's: the row gains the second service when they do.
  await waitUntil(async () => /idgen-node/.test(await row.innerText()), {
    polls: 150,
    what: 'the node\'s spans in the trace row',
  });
  await row.click();
  const bars = page.locator('#waterfall .wf-row');
  await waitUntil(async () => (await bars.count()) >= 3, { what: 'waterfall with three spans' });
  const services = new Set(await bars.evaluateAll((rows) => rows.map((r) => r.dataset.service)));
  assert.ok(services.has('idgen-gateway') && services.has('idgen-node'), [...services].join());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'idgen-dashboard-'));
  await page.screenshot({ path: path.join(dir, 'trace.png'), fullPage: true });

  // Metrics: the IDs/s chart has data from the nodes (exported every 2 s).
  await page.click('nav button[data-tab="metrics"]');
  await waitUntil(async () => (await page.locator('#charts polyline').count()) > 0, {
    polls: 150,
    what: 'a chart line',
  });

  // The `orders` segment namespace's headroom, from the nodes' metrics.
  await waitUntil(async () => {
    const cells = await page.locator('#latest td[data-col="segment-headroom"]').allInnerTexts();
    return cells.some((c) => Number(c) > 0);
  }, { polls: 150, what: 'segment headroom in the latest-values table' });

  // The restart button of node-1.
  const before = (await resources(dashPort))['node-1'].pid;
  await page.click('nav button[data-tab="resources"]');
  await page.click('tr[data-resource="node-1"] button[data-action="restart"]');
  await waitUntil(async () => {
    const r = (await resources(dashPort))['node-1'];
    return r.pid !== before && r.state === 'healthy' && r.manual_restarts === 1;
  }, { polls: 150, what: 'node-1 restarted' });
  await waitUntil(
    async () => (await page.locator('tr[data-resource="node-1"] [data-state]').getAttribute('data-state')) === 'healthy',
    { what: 'node-1 healthy again in the page' },
  );

  const shot = path.join(dir, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshots: ${shot}, ${path.join(dir, 'trace.png')}`);
  assert.deepEqual(foreign, [], 'the page loaded something from another origin');
  assert.deepEqual(pageErrors, []);
});
