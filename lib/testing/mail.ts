// Mail in tests: a mailer that keeps what it is given (the API's tests read reset links from it), and a
// reader of Mailpit's HTTP API for the tests that send through a real SMTP server.
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
