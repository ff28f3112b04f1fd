// Bot classification, after parsing and before enrichment. Bot traffic is kept and labelled
// (is_bot = 1, bot_kind), never dropped: the dashboard reports the filtered share, and analysts can
// still see who previewed a link. Order matters, because isbot matches every agent below too: the
// request method first (a HEAD never renders a page), then automation and link previews, which would
// otherwise all be reported as plain crawlers.
import { isbot } from 'isbot';
import type { BotKind } from '../../lib/events/analytics-row.js';
import type { TrackedEvent } from '../../lib/events/tracked-event.js';

/**
 * Agents that fetch a link to draw a preview card when it is pasted into a chat or a post. Matched on
 * their product tokens only: the in-app browsers of the same companies (Facebook's FBAN/FB_IAB,
 * [LinkedInApp], Telegram-Android) are people and must not match.
 */
const PREVIEW_AGENTS: readonly RegExp[] = [
  /Slackbot-LinkExpanding/i,
  /Slack-ImgProxy/i,
  /Twitterbot/i,
  /facebookexternalhit/i,
  /\bFacebot\b/i,
  /Discordbot/i,
  /^WhatsApp\//i,
  /TelegramBot/i,
  /LinkedInBot/i,
  // Apple's crawler for Siri and Spotlight suggestions, counted as a preview as agreed for this
  // pipeline; iMessage's own previews announce themselves as facebookexternalhit + Twitterbot.
  /Applebot/i,
  /SkypeUriPreview/i, // Skype and Microsoft Teams
  /Iframely/i,
  /Embedly/i,
  /vkShare/i,
  /\(Mastodon\/[\d.]+/i, // every Mastodon server fetches a card for each link in a post
  /Bluesky Cardyb/i,
  /Snap URL Preview/i,
];

/** Headless browsers and automation frameworks (their user agents, or the absence of one). */
const AUTOMATION_AGENTS: readonly RegExp[] = [/HeadlessChrome/i, /PhantomJS/i, /Selenium/i, /WebDriver/i, /puppeteer/i, /Playwright/i];

/** What the user agent alone says; '' for a browser that looks human. */
export function classifyUserAgent(userAgent: string): BotKind {
  if (userAgent.trim() === '') return 'automation';
  if (AUTOMATION_AGENTS.some((pattern) => pattern.test(userAgent))) return 'automation';
  if (PREVIEW_AGENTS.some((pattern) => pattern.test(userAgent))) return 'preview';
  if (isbot(userAgent)) return 'crawler';
  return '';
}

/** userAgentKind: classifyUserAgent's answer for the event's agent, when the caller already has it. */
export function classifyBot(event: Pick<TrackedEvent, 'method' | 'userAgent'>, userAgentKind?: BotKind): BotKind {
  if (event.method === 'HEAD') return 'head_request';
  return userAgentKind ?? classifyUserAgent(event.userAgent);
}
