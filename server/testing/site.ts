// A whole Linkpulse process on embedded defaults at an origin a browser (or a same-origin client)
// can use: PUBLIC_URL must be that origin, since CSRF checks compare them, so the port is chosen
// first. And a Chromium page signed in as a creator, collecting CSP violations.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ApiClient } from './api-harness.js';
import { parseConfig, type Env } from '../../lib/config.js';
import type { RoleName } from '../../lib/runtime/role.js';
import { startProcess, type RunningProcess } from '../start.js';
import { freePort } from '../../lib/testing/ports.js';
import { mailpitMessageFor, outboxMailFor } from '../../lib/testing/mail.js';
import { testConfig } from '../../lib/testing/services.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface Site {
  /** http://localhost:<port>, the process's PUBLIC_URL. */
  origin: string;
  running: RunningProcess;
  /** Its DATA_DIR (mails without SMTP_URL land in outbox/ there). */
  dataDir: string;
  /** The text of the newest mail it sent to `to` (whose subject matches, waiting for it): from Mailpit when it sends through SMTP_URL, else from its outbox. */
  mailTo(to: string, subject: RegExp): Promise<string>;
  stop(): Promise<void>;
}

/** The first link in a mail's text to `path` on the site (with its #token=… fragment). */
export function linkIn(text: string, origin: string, path: string): string {
  const link = new RegExp(`${origin.replace(/[.:/]/g, (c) => `\\${c}`)}${path}#token=[A-Za-z0-9_-]{43}`).exec(text)?.[0];
  if (!link) throw new Error(`no ${path} link in the mail: ${text.slice(0, 300)}`);
  return link;
}

export async function startSite(label: string, roles: readonly RoleName[], env: Env = {}): Promise<Site> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `linkpulse-${label}-`));
  // Embedded PostgreSQL runs as an unprivileged user when tests run as root.
  await chmod(dataDir, 0o755);
  // The origin (with its port) is configuration, so the port is chosen before the server listens; another
  // process may take it in between (tests run in parallel): start again on another port.
  const start = async (attempt: number): Promise<{ origin: string; running: Awaited<ReturnType<typeof startProcess>> }> => {
    const port = String(await freePort());
    const origin = `http://localhost:${port}`;
    try {
      const running = await startProcess(parseConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: port, PUBLIC_URL: origin, LOG_LEVEL: 'silent', ...env }), roles, {
        installSignalHandlers: false,
      });
      return { origin, running };
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 3) throw error;
      return start(attempt + 1);
    }
  };
  const { origin, running } = await start(1);
  return {
    origin,
    running,
    dataDir,
    async mailTo(to, subject) {
      if (env.SMTP_URL) return (await mailpitMessageFor(testConfig.mailpitUrl!, to, { subject })).Text;
      return outboxMailFor(path.join(dataDir, 'outbox'), to, { subject });
    },
    async stop() {
      await running.stop('test finished');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A page whose browser carries the creator's session cookie; cspViolations fills as the page runs. */
export async function signedInPage(browser: Browser, origin: string, creator: ApiClient): Promise<{ page: Page; cspViolations: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext();
  const [name, value] = creator.cookie!.split('=') as [string, string];
  await context.addCookies([{ name, value, url: origin }]);
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { page, cspViolations, close: () => context.close() };
}
