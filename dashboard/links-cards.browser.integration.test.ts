// Adding a GitHub link in the dashboard shows its repository card within seconds (headless Chromium,
// a whole process with the api, scheduler and dashboard roles on embedded defaults, GITHUB_API_URL
// pointing at the fake GitHub).
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../api/testing/api-harness.js';
import { parseConfig } from '../lib/config.js';
import { startProcess, type RunningProcess } from '../lib/runtime/start.js';
import { freePort } from '../lib/testing/ports.js';
import { describeWithService } from '../lib/testing/services.js';
import { startFakeGitHub, type FakeGitHub } from '../scheduler/github/testing/fake-github.js';

const CHROMIUM = '/usr/bin/chromium';

describeWithService('GitHub cards in the dashboard, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let dataDir: string;
  let origin: string;
  let running: RunningProcess;
  let browser: Browser;
  let github: FakeGitHub;

  beforeAll(async () => {
    github = await startFakeGitHub();
    github.add({ owner: 'linkpulse', name: 'pulse', description: 'Privacy-first link analytics', language: 'TypeScript', stars: 1234, forks: 56, topics: ['analytics', 'privacy'], pushedAt: '2026-11-23T08:00:00Z' });
    dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-cards-'));
    await chmod(dataDir, 0o755);
    const port = String(await freePort());
    origin = `http://localhost:${port}`;
    running = await startProcess(
      parseConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: port, PUBLIC_URL: origin, LOG_LEVEL: 'silent', GITHUB_API_URL: github.url }),
      ['api', 'scheduler', 'dashboard'],
      { installSignalHandlers: false },
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await running?.stop('test finished');
    await github?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('shows the card with the repository’s data within seconds of adding the link', async () => {
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    await creator.newProfile({ published: true });
    const context = await browser.newContext();
    const [name, value] = creator.cookie!.split('=') as [string, string];
    await context.addCookies([{ name, value, url: origin }]);
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${origin}/dashboard/links`);
    await page.getByLabel('Title').fill('Pulse');
    await page.getByLabel('URL').fill('https://github.com/linkpulse/pulse');
    const added = Date.now();
    await page.getByRole('button', { name: 'Add link' }).click();

    const card = page.getByRole('article', { name: 'linkpulse/pulse on GitHub' });
    await card.getByText('★ 1.2K').waitFor({ timeout: 20_000 });
    const elapsed = Date.now() - added;
    expect(elapsed).toBeLessThan(15_000);
    const text = await card.textContent();
    expect(text).toContain('Privacy-first link analytics');
    expect(text).toContain('TypeScript');
    expect(text).toContain('Forks 56');
    expect(await card.locator('circle').getAttribute('fill')).toBe('#3178c6');

    // Refresh: the card shows a change made on GitHub after the next sync, within seconds too.
    github.update('linkpulse', 'pulse', { stars: 2000 });
    await card.getByRole('button', { name: 'Refresh' }).click();
    await card.getByText('★ 2K').waitFor({ timeout: 20_000 });
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);
});
