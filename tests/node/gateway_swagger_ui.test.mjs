// Copyright idgen authors.
//
// Swagger UI of `idgen gateway` in a real browser: Debian's chromium driven by
// playwright-core (headless, no sandbox) opens /docs, expands GET /v1/ids,
// runs "Try it out" / "Execute" and sees IDs in the response. The page loads
// only local files: any request to another origin fails the test. A
// screenshot is saved to a temp dir (its path is printed).
// If /usr/bin/chromium is missing this test FAILS: scripts/setup.sh installs it.
// Run: IDGEN_BIN=/path/to/idgen node --test
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';

import { chromium } from 'playwright-core';

import { startGateway, startNodes } from './lib/gateway_harness.mjs';

const CHROMIUM = process.env.IDGEN_CHROMIUM || '/usr/bin/chromium';

test('Swagger UI: Try it out on GET /v1/ids shows IDs', async (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/setup.sh`);
  const [node] = await startNodes(t, 1);
  const gw = await startGateway(t, { backends: [node.address] });

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    timeout: 60000,
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  const foreign = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(gw.base) && !req.url().startsWith('data:')) foreign.push(req.url());
  });
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));

  await page.goto(`${gw.base}/docs`, { waitUntil: 'load', timeout: 30000 });
  const op = page.locator('#operations-ids-getIds');
  await op.waitFor({ state: 'visible', timeout: 30000 });
  await op.locator('.opblock-summary').first().click();
  await op.getByRole('button', { name: 'Try it out' }).click({ timeout: 10000 });
  await op.locator('input[placeholder="count"], tr[data-param-name="count"] input').first().fill('3');
  await op.getByRole('button', { name: 'Execute' }).click({ timeout: 10000 });

  const body = op.locator('.responses-wrapper .live-responses-table .response-col_description pre').first();
  await body.waitFor({ state: 'visible', timeout: 30000 });
  const text = await body.innerText();
  const json = JSON.parse(text);
  assert.equal(json.namespace, 'default');
  assert.equal(json.ids.length, 3, text);
  for (const id of json.ids) assert.match(id, /^[0-9]+$/);
  const status = await op.locator('.live-responses-table .response .response-col_status').first().innerText();
  assert.match(status, /200/);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'idgen-swagger-'));
  const shot = path.join(dir, 'swagger-ui-get-ids.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`Swagger UI screenshot: ${shot}`);
  assert.ok(existsSync(shot));
  assert.deepEqual(foreign, [], 'the page loads nothing from other origins');
  assert.deepEqual(pageErrors, []);
});
