// Mail in tests: a mailer that keeps what it is given (the API's tests read reset links from it), a
// reader of a process's outbox (no SMTP_URL), and one of Mailpit's HTTP API for the tests that send
// through a real SMTP server.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Mail, Mailer } from '../mail/mailer.js';
import { waitFor } from './wait-for.js';

export interface RecordingMailer extends Mailer {
  readonly sent: Mail[];
}

export function createRecordingMailer(): RecordingMailer {
  const sent: Mail[] = [];
  return {
    transport: 'outbox',
    sent,
    async send(mail) {
      sent.push(mail);
    },
    deliverLater(mail) {
      sent.push(mail);
    },
    async idle() {},
    async close() {},
  };
}

export interface MailpitMessage {
  ID: string;
  Subject: string;
  To: { Address: string }[];
  From: { Address: string; Name: string };
}

/** The newest message Mailpit holds for `to` (waiting for it), with its text body. */
export async function mailpitMessageFor(mailpitUrl: string, to: string, options: { subject?: RegExp; timeoutMs?: number } = {}): Promise<MailpitMessage & { Text: string; HTML: string }> {
  const message = await waitFor(
    async () => {
      const response = await fetch(`${mailpitUrl}/api/v1/search?query=${encodeURIComponent(`to:"${to}"`)}`);
      if (!response.ok) throw new Error(`Mailpit answered ${response.status}`);
      const { messages } = (await response.json()) as { messages: MailpitMessage[] };
      return messages.find((candidate) => !options.subject || options.subject.test(candidate.Subject));
    },
    { what: `a mail to ${to} in Mailpit`, timeoutMs: options.timeoutMs ?? 15_000, intervalMs: 200 },
  );
  const response = await fetch(`${mailpitUrl}/api/v1/message/${message.ID}`);
  return (await response.json()) as MailpitMessage & { Text: string; HTML: string };
}

/** A quoted-printable body as text (soft line breaks joined, =XX decoded). */
export const decodeQuotedPrintable = (body: string) => body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** The newest .eml in `outboxDir` addressed to `to` (with a subject matching `subject`; waiting for it), decoded enough to read its text and links. */
export async function outboxMailFor(outboxDir: string, to: string, options: { subject?: RegExp; timeoutMs?: number } = {}): Promise<string> {
  return waitFor(
    async () => {
      const files = (await readdir(outboxDir).catch(() => [] as string[])).filter((file) => file.endsWith('.eml')).sort().reverse();
      for (const file of files) {
        const raw = await readFile(path.join(outboxDir, file), 'utf8');
        if (!new RegExp(`^To: ${to.replace(/[.+]/g, '\\$&')}$`, 'mi').test(raw)) continue;
        const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? '';
        if (!options.subject || options.subject.test(subject)) return decodeQuotedPrintable(raw);
      }
      return undefined;
    },
    { what: `a mail to ${to} in ${outboxDir}`, timeoutMs: options.timeoutMs ?? 15_000, intervalMs: 100 },
  );
}
