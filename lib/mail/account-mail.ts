// The mails accounts receive, as text and as simple HTML (inline styles: mail clients ignore style
// sheets). They name what happened, what to do, and what to do if it was not you; they never contain
// a password, and a link's secret travels in its fragment (#…), which browsers never send to a server.
import type { Mail } from './mailer.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A short mail with one call to action, as text and HTML. */
function compose(
  kind: string,
  to: string,
  subject: string,
  paragraphs: readonly string[],
  action: { label: string; url: string },
  footer: string,
  secondary?: { label: string; url: string },
): Mail {
  const text = [...paragraphs, `${action.label}: ${action.url}`, ...(secondary ? [`${secondary.label}: ${secondary.url}`] : []), footer, '— Linkpulse'].join('\n\n');
  const html = `<!doctype html><html><body style="margin:0;padding:24px;background:#f6f5fb;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328">
<div style="max-width:480px;margin:0 auto;background:#ffffff;border:1px solid #d0d7de;border-radius:12px;padding:28px">
<p style="margin:0 0 20px;font-weight:700;font-size:18px;color:#5b21b6">Linkpulse</p>
${paragraphs.map((paragraph) => `<p style="margin:0 0 16px;line-height:1.5">${escapeHtml(paragraph)}</p>`).join('\n')}
<p style="margin:24px 0"><a href="${escapeHtml(action.url)}" style="display:inline-block;background:#5b21b6;color:#ffffff;text-decoration:none;font-weight:600;padding:12px 20px;border-radius:8px">${escapeHtml(action.label)}</a></p>
<p style="margin:0 0 16px;font-size:13px;color:#59636e;line-height:1.5">If the button does not work, copy this address into your browser: ${escapeHtml(action.url)}</p>
${secondary ? `<p style="margin:0 0 16px;font-size:14px;line-height:1.5"><a href="${escapeHtml(secondary.url)}" style="color:#5b21b6">${escapeHtml(secondary.label)}</a></p>` : ''}
<p style="margin:0;font-size:13px;color:#59636e;line-height:1.5">${escapeHtml(footer)}</p>
</div></body></html>`;
  return { kind, to, subject, text, html };
}

export function passwordResetMail(to: string, url: string, ttlMinutes: number): Mail {
  return compose(
    'password-reset',
    to,
    'Reset your Linkpulse password',
    [`Someone asked to reset the password of the Linkpulse account for ${to}. If it was you, choose a new password within ${ttlMinutes} minutes with the link below. It works once.`],
    { label: 'Choose a new password', url },
    'If you did not ask for this, ignore this mail: your password stays as it is, and nobody can use the link without access to your mailbox.',
  );
}

export function emailVerificationMail(to: string, url: string, ttlHours: number): Mail {
  return compose(
    'email-verification',
    to,
    'Confirm your Linkpulse address',
    [`Welcome to Linkpulse. Confirm that ${to} is your address with the link below (it works once, for ${ttlHours} hours); it also signs you in.`],
    { label: 'Confirm my address', url },
    'If you did not sign up for Linkpulse, ignore this mail: without the link, nobody can confirm the address.',
  );
}

/** To the owner of an address someone tried to sign up with again: what to do if it was them. */
export function signupWithExistingAccountMail(to: string, loginUrl: string): Mail {
  return compose(
    'signup-existing-account',
    to,
    'Someone tried to sign up with your address',
    [
      `Someone just tried to create a Linkpulse account for ${to}, which already has one.`,
      'If it was you: log in with your password, or, if you forgot it, choose a new one from the log-in page ("Forgot your password?").',
    ],
    { label: 'Log in to Linkpulse', url: loginUrl },
    'If it was not you, nothing changed: your account and password are as they were.',
  );
}

/** To the current address: the owner agrees to move the account to `newEmail`. */
export function emailChangeFromMail(to: string, newEmail: string, url: string, ttlHours: number): Mail {
  return compose(
    'email-change-old',
    to,
    'Confirm moving your Linkpulse account to a new address',
    [
      `Someone signed in to your Linkpulse account asked to change its address from ${to} to ${newEmail}.`,
      `If it was you, confirm with the link below within ${ttlHours} hours. The new address gets a link of its own: the change happens once both are confirmed.`,
    ],
    { label: 'Confirm the change', url },
    'If it was not you, do not confirm, and change your password: someone else may know it.',
  );
}

/** To the new address: it belongs to the person moving the account there. */
export function emailChangeToMail(to: string, url: string, ttlHours: number): Mail {
  return compose(
    'email-change-new',
    to,
    'Confirm your new Linkpulse address',
    [`A Linkpulse account is moving to ${to}. If it is yours, confirm this address with the link below within ${ttlHours} hours; the current address confirms too.`],
    { label: 'Confirm this address', url },
    'If you do not know what this is about, ignore this mail: nothing moves without this link.',
  );
}

/** To the old address once the change is done: a record, and what to do if it was not them. */
export function emailChangedMail(to: string, newEmail: string, resetUrl: string): Mail {
  return compose(
    'email-changed',
    to,
    'Your Linkpulse address was changed',
    [`The address of your Linkpulse account is now ${newEmail}; mail goes there from now on.`],
    { label: 'Not you? Reset the password', url: resetUrl },
    'Both addresses confirmed the change. If you did not, reset the password with the new address, or reply to this mail.',
  );
}

export function teamInvitationMail(to: string, invitation: { inviter: string; pageName: string; handle: string; role: string; url: string; ttlDays: number }): Mail {
  return compose(
    'team-invitation',
    to,
    `${invitation.inviter} invited you to ${invitation.pageName} on Linkpulse`,
    [
      `${invitation.inviter} invited ${to} to work on the Linkpulse page ${invitation.pageName} (@${invitation.handle}) as ${invitation.role}.`,
      `Accept with the link below within ${invitation.ttlDays} days. Log in (or sign up) with this address first: the invitation works for it only, once it is confirmed.`,
    ],
    { label: 'Accept the invitation', url: invitation.url },
    'If you do not know the sender, ignore this mail: nothing changes unless you accept.',
  );
}

export function ownershipOfferMail(to: string, offer: { owner: string; pageName: string; handle: string; url: string; ttlDays: number }): Mail {
  return compose(
    'ownership-offer',
    to,
    `${offer.owner} wants to hand you ${offer.pageName} on Linkpulse`,
    [
      `${offer.owner} offers you the ownership of the Linkpulse page ${offer.pageName} (@${offer.handle}).`,
      `As its owner you decide who is on the team, can share its analytics, transfer or delete it. ${offer.owner} stays on the team as an editor.`,
      `The offer waits for your answer on the page's Team tab for ${offer.ttlDays} days.`,
    ],
    { label: 'Review the offer', url: offer.url },
    'Nothing changes unless you accept it, signed in to your Linkpulse account.',
  );
}

/** A moment as a mail states it, in UTC (a mail does not know its reader's zone): "12 December 2026 at 14:05 UTC". */
const utc = (when: Date) => `${new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(when)} UTC`;

/** The export asked for in Settings is built: where to download it, until when, and what to do if it was not them. */
export function accountExportReadyMail(to: string, ready: { url: string; size: string; requestedAt: Date; expiresAt: Date }): Mail {
  return compose(
    'account-export-ready',
    to,
    'Your Linkpulse data is ready to download',
    [
      `The copy of your Linkpulse data asked for on ${utc(ready.requestedAt)} is ready: one ZIP file (${ready.size}) with your account, your pages and their links, images, team memberships, activity logs and raw analytics.`,
      `Download it with the link below until ${utc(ready.expiresAt)}, logged in to this account; then the file is deleted.`,
    ],
    { label: 'Download my data', url: ready.url },
    'If you did not ask for this, someone logged in to your account did, but they cannot download the file without this mail: change your password, and log out the other sessions in Settings.',
  );
}

/** The export could not be built: nothing to download, and it can be asked for again. */
export function accountExportFailedMail(to: string, settingsUrl: string): Mail {
  return compose(
    'account-export-failed',
    to,
    'Your Linkpulse data could not be exported',
    [
      'Something went wrong while we were putting together the copy of your Linkpulse data you asked for, so there is nothing to download this time. Your account and its data are as they were.',
      'Please ask for a new export in Settings: you can do so right away.',
    ],
    { label: 'Open Settings', url: settingsUrl },
    'If this keeps happening, reply to this mail and we will look into it.',
  );
}

/** A webhook endpoint was disabled after repeated failure (or a 410): what stopped, why, and how to resume. */
export function webhookEndpointDisabledMail(to: string, disabled: { endpointUrl: string; handle: string; reason: string; webhooksUrl: string }): Mail {
  return compose(
    'webhook-endpoint-disabled',
    to,
    `A webhook endpoint of @${disabled.handle} was disabled`,
    [
      `Linkpulse stopped sending webhooks to ${disabled.endpointUrl} for your page @${disabled.handle}. ${disabled.reason}`,
      'No new events go to it until it is enabled again. Check that the URL is right and that the receiver answers with a 2xx status within 10 seconds; then enable the endpoint and resend the failed deliveries from the page’s webhook settings.',
    ],
    { label: 'Open the webhook settings', url: disabled.webhooksUrl },
    'Your page and its other endpoints are not affected.',
  );
}

/**
 * An alert fired on a page the recipient receives alert mail for (scheduler/alerts/): what happened in
 * words, a link to the analytics around it, and one to the alert settings (to change the thresholds,
 * or stop these mails).
 */
export function alertTriggeredMail(
  to: string,
  alert: { pageName: string; handle: string; title: string; sentence: string; thresholds: string; firedAt: Date; analyticsUrl: string; settingsUrl: string },
): Mail {
  return compose(
    'alert-triggered',
    to,
    `${alert.title} · ${alert.pageName}`,
    [`An alert fired on your Linkpulse page ${alert.pageName} (@${alert.handle}) on ${utc(alert.firedAt)}.`, alert.sentence, alert.thresholds],
    { label: 'See the analytics', url: alert.analyticsUrl },
    'You receive this because you chose to get this page’s alerts by mail (its owner does unless they turn it off). Change the thresholds or stop these mails in the alert settings.',
    { label: 'Alert settings', url: alert.settingsUrl },
  );
}
