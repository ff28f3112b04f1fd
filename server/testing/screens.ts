// What every designed screen is checked for in the browser tests: opened at a width and colour scheme
// with its problems recorded (console errors, CSP violations, failed requests, uncaught errors),
// axe-core's accessibility audit (serious and critical violations fail), and a full-page screenshot
// in artifacts/ (not committed) for a reviewer.
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../lib/paths.js';

export const ARTIFACTS = path.join(PROJECT_ROOT, 'artifacts');

/** The widths every creator screen is designed at: a laptop and a phone. */
export const SCREEN_WIDTHS = [1440, 390] as const;
export const COLOR_SCHEMES = ['light', 'dark'] as const;

export interface ScreenPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, CSP violations, uncaught errors and responses of 400 or more, as they happen. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh context at `width` (phone height below 800 px) in `colorScheme`, recording problems. */
export async function openScreen(browser: Browser, width: number, colorScheme: 'light' | 'dark', options: { expectedStatuses?: readonly number[] } = {}): Promise<ScreenPage> {
  const context = await browser.newContext({ viewport: { width, height: width > 800 ? 900 : 844 }, colorScheme });
  const page = await context.newPage();
  const problems: string[] = [];
  const expected = (status: number) => options.expectedStatuses?.includes(status) ?? false;
  page.on('console', (message) => {
    // The browser logs every refused request too; an expected refusal is not a problem.
    const refused = /the server responded with a status of (\d+)/.exec(message.text());
    if (refused && expected(Number(refused[1]))) return;
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400 && !expected(response.status())) problems.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  return { context, page, problems, close: () => context.close() };
}

let axeSource: Promise<string> | undefined;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's audit of the page as it is now: the violations rated serious or critical. Evaluated through
 * the DevTools protocol, so the page's CSP (script-src 'self') does not have to allow it.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(await axeSource);
  // A string, evaluated in the page: the tests are compiled without the DOM's types.
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    })))`);
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** A full-page screenshot as artifacts/<name>-<width>-<scheme>.png. */
export async function screenshot(page: Page, name: string, width: number, colorScheme: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${width}-${colorScheme}.png`), fullPage: true });
}
