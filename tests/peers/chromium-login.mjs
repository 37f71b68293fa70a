// A real browser for the login test: headless Chromium (the system's, driven
// by playwright-core) opens the authorization URL, fills the provider's real
// login and consent forms as a person would, follows the redirect to
// mcp-auth's loopback listener and keeps a screenshot of the page it lands on.
// Usage: node chromium-login.mjs URL   (SCREENSHOT=path for the screenshot)
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.argv[2];
const profile = mkdtempSync(join(tmpdir(), 'mcp-auth-chromium-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'],
});
const page = browser.pages()[0] ?? await browser.newPage();
const onCallback = () => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\/callback/.test(page.url());
try {
  await page.goto(url);
  for (let step = 0; step < 10 && !onCallback(); step += 1) {
    if (await page.locator('input[name="login"]').count()) {
      await page.fill('input[name="login"]', 'alice');
      await page.fill('input[name="password"]', 'correct horse');
    }
    const submit = page.locator('button[type="submit"]').first();
    if (!(await submit.count())) break;
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), submit.click()]);
  }
  await page.waitForLoadState('load');
  const landed = `${page.url().split('?')[0]}\n${await page.title()}\n${await page.innerText('body')}\n`;
  if (process.env.SCREENSHOT) {
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
    writeFileSync(`${process.env.SCREENSHOT}.txt`, landed);
  }
  console.log(landed);
  process.exitCode = onCallback() ? 0 : 1;
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
