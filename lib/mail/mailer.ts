// Mail to account holders (password reset links, and more to come): through a real SMTP server with
// nodemailer when SMTP_URL is set, otherwise written as .eml files to DATA_DIR/outbox/ with a log line
// saying where, so every flow works on `npm start` with nothing configured. Both build the same
// RFC 5322 message.
//
// send() resolves once the message is handed over (or written). deliverLater() is for a request that
// must answer the same way and as fast whether a mail goes out or not (so no one learns from it whether
// an address has an account): it sends in the background with a few retries and logs a failure, never
// its content (the message holds a secret link).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from '../logger.js';
import type { MailConfig } from '../config.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** What kind of mail, for logs and metrics ("password-reset"): never its content. */
  kind: string;
}

export interface Mailer {
  readonly transport: 'smtp' | 'outbox';
  send(mail: Mail): Promise<void>;
  deliverLater(mail: Mail): void;
  /** Resolves when no background delivery is under way (tests). */
  idle(): Promise<void>;
  /** Waits up to 5 s for background deliveries under way, then closes the SMTP connections. */
  close(): Promise<void>;
}

/** Waits between background attempts: about a minute in all before a mail is given up. */
const RETRY_DELAYS_MS = [2_000, 10_000, 45_000];

export function createMailer(config: MailConfig, logger: Logger, options: { retryDelaysMs?: readonly number[] } = {}): Mailer {
  const retryDelays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const log = logger.child({ module: 'mailer' });
  const smtp: Transporter | undefined = config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : undefined;
  // Builds the raw message without sending it, for the outbox.
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const pending = new Set<Promise<void>>();

  const message = (mail: Mail) => ({ from: config.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });

  async function send(mail: Mail): Promise<void> {
    if (smtp) {
      await smtp.sendMail(message(mail));
      log.info({ kind: mail.kind }, 'mail sent');
      return;
    }
    const { message: raw } = (await composer.sendMail(message(mail))) as { message: Buffer };
    await mkdir(config.outboxDir, { recursive: true, mode: 0o700 });
    const file = path.join(config.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.kind}-${randomBytes(4).toString('hex')}.eml`);
    await writeFile(file, raw, { mode: 0o600 });
    log.info({ kind: mail.kind, file }, 'no SMTP_URL: mail written to the outbox');
  }

  function deliverLater(mail: Mail): void {
    const delivery = (async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await send(mail);
          return;
        } catch (error) {
          const delay = retryDelays[attempt];
          if (delay === undefined) {
            log.error({ kind: mail.kind, err: describe(error), attempts: attempt + 1 }, 'mail could not be sent; given up');
            return;
          }
          log.warn({ kind: mail.kind, err: describe(error), retryInMs: delay }, 'mail could not be sent; retrying');
          await new Promise((resolve) => setTimeout(resolve, delay).unref());
        }
      }
    })();
    pending.add(delivery);
    void delivery.finally(() => pending.delete(delivery));
  }

  return {
    transport: smtp ? 'smtp' : 'outbox',
    send,
    deliverLater,
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close() {
      await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      smtp?.close();
    },
  };
}

/** An SMTP error without the server's full response (which may echo addresses). */
function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${(error as Error & { code?: string }).code ?? error.message.slice(0, 120)}`;
  return String(error).slice(0, 120);
}
