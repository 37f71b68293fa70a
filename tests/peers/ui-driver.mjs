// The browser `mcp-auth ui` opens, for tests/ui.rs: headless Chromium
// (the system's, driven by playwright-core) works the dashboard as a person
// would, and keeps screenshots.
//
// Usage (as MCP_AUTH_BROWSER): node ui-driver.mjs URL
// - A file:// URL is the page `mcp-auth ui` opens: the whole scenario runs
//   in Chromium from there.
// - Any other URL is a login the dashboard started ("Log in again"): the
//   fake authorization server approves at once, so following its redirect
//   to the loopback listener is all a consenting user does.
// Environment: ARTIFACTS (screenshot folder), STEPS (a file the driver
// appends each step to, and where it waits for the test: "live-ready" is
// written, then the driver waits for a row named by LIVE_NAME to appear
// without a reload), RESULT (a JSON file written at the end).
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
if (!url.startsWith('file:')) {
  const r = await fetch(url, { redirect: 'follow' });
  process.exit(r.ok ? 0 : 1);
}

const artifacts = process.env.ARTIFACTS;
const step = (s) => appendFileSync(process.env.STEPS, `${s}\n`);
const shot = (page, name) => page.screenshot({ path: join(artifacts, name), fullPage: true });
const result = { dialogs: [], steps: [] };

// Imported here, not at the top, so that a missing package ends the
// scenario with its reason in RESULT instead of leaving the test waiting.
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  writeFileSync(process.env.RESULT, JSON.stringify({ error: String(e && e.stack || e) }));
  step('end');
  process.exit(1);
}

const profile = mkdtempSync(join(tmpdir(), 'mcp-auth-ui-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--allow-file-access-from-files'],
});
const page = browser.pages()[0] ?? await browser.newPage();
const cspViolations = [];
page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
page.on('dialog', async (d) => { result.dialogs.push(d.message()); await d.accept(); });
const flash = async () => (await page.locator('.flash').innerText()).trim();
const rows = async () => page.locator('#credentials tbody tr').evaluateAll(
  (trs) => trs.map((tr) => tr.dataset.name));

try {
  // The opener page moves on to /start?key=..., which sets the cookie and
  // moves on to the dashboard.
  await page.goto(url);
  await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  await page.waitForSelector('#credentials');
  await page.waitForSelector('#live.on');
  result.cookieVisibleToScript = await page.evaluate(() => document.cookie);
  result.initialRows = await rows();
  await shot(page, 'ui-credentials.png');
  step('list');

  // Filtering as one types.
  await page.fill('#q', 'beta');
  result.filtered = await page.locator('#credentials tbody tr:not([hidden])').evaluateAll(
    (trs) => trs.map((tr) => tr.dataset.name));
  await page.fill('#q', '');

  // Live: the test logs in a new credential from the terminal; it appears
  // here without a reload.
  step('live-ready');
  await page.waitForSelector(`#credentials tr[data-name="${process.env.LIVE_NAME}"]`, { timeout: 30000 });
  result.reloadedLive = await page.evaluate(() => Number(document.body.dataset.reloads || 0));
  result.navigations = await page.evaluate(() => performance.getEntriesByType('navigation').length);
  step('live');

  // Details of one credential: its fields and audit events.
  await page.click('#credentials a:text-is("alpha")');
  await page.waitForSelector('h1:has-text("alpha")');
  result.detailEvents = await page.locator('table.events code').allInnerTexts();
  result.detailText = await page.locator('main').innerText();
  await shot(page, 'ui-credential.png');
  step('details');

  // Refresh now.
  await Promise.all([page.waitForNavigation(), page.click('#refresh')]);
  result.refreshFlash = await flash();
  step('refresh');

  // Log in again: the login runs in the dashboard's process and its
  // browser (this script, with the authorization URL) approves it; the
  // page learns the end through the event stream.
  await Promise.all([page.waitForNavigation(), page.click('#login')]);
  result.loginFlash = await flash();
  await page.waitForSelector('.login-note:has-text("done")', { timeout: 30000 });
  step('login');

  // Revoke one.
  await Promise.all([page.waitForNavigation(), page.click('#revoke')]);
  result.revokeFlash = await flash();
  result.afterRevoke = await rows();
  step('revoke');

  // Revoke the selected ones.
  await page.check('#credentials input[value="beta"]');
  await page.check('#credentials input[value="gamma"]');
  await Promise.all([page.waitForNavigation(), page.click('#revoke-selected')]);
  result.bulkFlash = await flash();
  result.afterBulk = await rows();
  await shot(page, 'ui-after-revoke.png');
  step('bulk');

  // Secrets: names and notes, delete one.
  await page.click('nav a:text-is("Secrets")');
  await page.waitForSelector('#secrets');
  result.secretsText = await page.locator('main').innerText();
  await shot(page, 'ui-secrets.png');
  await Promise.all([page.waitForNavigation(),
    page.click('#secrets tr[data-name="deploy-key"] button')]);
  result.secretFlash = await flash();
  result.secretsAfter = await page.locator('#secrets tbody tr').evaluateAll(
    (trs) => trs.map((tr) => tr.dataset.name));
  step('secret');

  // The daemon and a prune preview.
  await page.click('nav a:text-is("Daemon")');
  await page.waitForSelector('h1:has-text("Daemon")');
  // The daemon notices changes within its tick; the page polls it.
  await page.waitForSelector(`#upcoming a:text-is("${process.env.LIVE_NAME}")`, { timeout: 20000 });
  result.daemonText = await page.locator('main').innerText();
  await shot(page, 'ui-daemon.png');
  await page.click('nav a:text-is("Prune")');
  await page.waitForSelector('#preview');
  result.pruneText = await page.locator('#preview').innerText();
  await page.click('nav a:text-is("Audit log")');
  await page.waitForSelector('table.events');
  result.auditText = await page.locator('main').innerText();
  await shot(page, 'ui-audit.png');
  step('pages');
  result.cspViolations = cspViolations;
  result.ok = true;
} catch (e) {
  result.error = String(e && e.stack || e);
  await shot(page, 'ui-failure.png').catch(() => {});
} finally {
  writeFileSync(process.env.RESULT, JSON.stringify(result, null, 2));
  step('end');
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
