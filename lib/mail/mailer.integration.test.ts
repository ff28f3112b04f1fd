// The mailer's two transports: the outbox (no SMTP_URL: an .eml file per mail, readable only by its
// owner, and a log line saying where) and a real SMTP server (Mailpit), each carrying the same
// message; and background delivery, which retries a server that refuses and gives up without losing
// the process.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { decodeQuotedPrintable, mailpitMessageFor } from '../testing/mail.js';
import { describeWithService, realServices, testConfig, testLogger } from '../testing/services.js';
import { uniqueName } from '../testing/wait-for.js';
import { createMailer, type Mail } from './mailer.js';

const mail = (to: string): Mail => ({
  kind: 'test-mail',
  to,
  subject: 'Reset your Linkpulse password',
  text: 'Choose a new password: https://links.example.com/reset-password#token=abc_DEF-123',
  html: '<p><a href="https://links.example.com/reset-password#token=abc_DEF-123">Choose a new password</a></p>',
});

describe('the outbox (no SMTP_URL)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'linkpulse-outbox-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes each mail as an .eml file only its owner can read, and logs where', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => lines.push(line) });
    const outboxDir = path.join(dir, 'outbox');
    const mailer = createMailer({ smtpUrl: undefined, from: 'Linkpulse <no-reply@links.example.com>', outboxDir }, logger);
    expect(mailer.transport).toBe('outbox');
    await mailer.send(mail('ada@example.com'));
    const files = await readdir(outboxDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/-test-mail-[0-9a-f]{8}\.eml$/);
    const file = path.join(outboxDir, files[0]!);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const raw = await readFile(file, 'utf8');
    expect(raw).toMatch(/^From: Linkpulse <no-reply@links\.example\.com>$/m);
    expect(raw).toMatch(/^To: ada@example\.com$/m);
    expect(raw).toMatch(/^Subject: Reset your Linkpulse password$/m);
    expect(decodeQuotedPrintable(raw)).toContain('https://links.example.com/reset-password#token=abc_DEF-123');
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; file?: string; kind?: string });
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'no SMTP_URL: mail written to the outbox', file, kind: 'test-mail' }));
    // The log says where, never what: no link, no address.
    expect(lines.join('\n')).not.toContain('token=');
    expect(lines.join('\n')).not.toContain('ada@example.com');
    await mailer.close();
  });
});

describe('background delivery', () => {
  it('retries a server that refuses, then gives up and logs it, without the mail’s content', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => lines.push(line) });
    // Nothing listens on port 9 of loopback (discard): every attempt is refused at once.
    const mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:9', from: 'Linkpulse <no-reply@links.example.com>', outboxDir: '/nonexistent' }, logger, { retryDelaysMs: [10, 10] });
    mailer.deliverLater(mail('grace@example.com'));
    await mailer.idle();
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; attempts?: number });
    expect(logged.filter((entry) => entry.msg === 'mail could not be sent; retrying')).toHaveLength(2);
    expect(logged).toContainEqual(expect.objectContaining({ msg: 'mail could not be sent; given up', attempts: 3 }));
    expect(lines.join('\n')).not.toContain('grace@example.com');
    await mailer.close();
  });
});

describeWithService('SMTP through a real server', realServices.smtp, () => {
  it('delivers the same message through SMTP_URL, read back from Mailpit', async () => {
    const mailer = createMailer({ ...testConfig.mail, from: 'Linkpulse <no-reply@links.example.com>' }, testLogger);
    expect(mailer.transport).toBe('smtp');
    const to = `${uniqueName('smtp')}@example.com`;
    mailer.deliverLater(mail(to));
    await mailer.idle();
    const received = await mailpitMessageFor(testConfig.mailpitUrl!, to);
    expect(received.Subject).toBe('Reset your Linkpulse password');
    expect(received.From).toEqual({ Name: 'Linkpulse', Address: 'no-reply@links.example.com' });
    expect(received.Text).toContain('https://links.example.com/reset-password#token=abc_DEF-123');
    expect(received.HTML).toContain('Choose a new password');
    await mailer.close();
  });
});
