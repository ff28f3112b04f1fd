import { describe, expect, it } from 'vitest';
import type { BotKind } from '../../lib/events/analytics-row.js';
import { classifyBot } from './classify-bot.step.js';

const CHROME_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

describe('classifyBot', () => {
  it.each<[string, string, BotKind]>([
    // People, including the in-app browsers of companies whose preview bots are listed below.
    ['desktop Chrome', CHROME_WINDOWS, ''],
    ['iPhone Safari', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1', ''],
    ['Facebook in-app browser', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/452.0.0.40.109;FBBV/567891234;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.3.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]', ''],
    ['LinkedIn in-app browser', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.6220', ''],
    ['Telegram in-app browser', 'Mozilla/5.0 (Linux; Android 12; Pixel 6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 Telegram-Android/10.11.1 (Google Pixel 6; Android 12; SDK 31; AVERAGE)', ''],
    ['Instagram in-app browser', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.33.109 (iPhone15,3; iOS 17_4; en_US; en; scale=3.00; 1290x2796; 588245735)', ''],

    // Link previews: isbot calls all of these bots; they must come out as 'preview', not 'crawler'.
    ['Slack unfurl', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 'preview'],
    ['X card', 'Twitterbot/1.0', 'preview'],
    ['Facebook share', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 'preview'],
    ['iMessage', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0', 'preview'],
    ['Discord embed', 'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)', 'preview'],
    ['WhatsApp', 'WhatsApp/2.23.20.0 A', 'preview'],
    ['Telegram', 'TelegramBot (like TwitterBot)', 'preview'],
    ['LinkedIn', 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)', 'preview'],
    ['Applebot', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)', 'preview'],
    ['Skype / Teams', 'Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com', 'preview'],
    ['Iframely', 'Iframely/1.3.1 (+https://iframely.com/docs/about) Atlassian', 'preview'],
    ['Embedly', 'Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)', 'preview'],
    ['VK', 'Mozilla/5.0 (compatible; vkShare; +http://vk.com/dev/Share)', 'preview'],
    ['Mastodon', 'http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/) Bot', 'preview'],
    ['Bluesky', 'Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)', 'preview'],

    // Crawlers and scripts: whatever isbot recognises that is not a preview or automation.
    ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'crawler'],
    ['Googlebot smartphone', 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'crawler'],
    ['Bingbot', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'crawler'],
    ['GPTBot', 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)', 'crawler'],
    ['curl', 'curl/8.4.0', 'crawler'],
    ['python-requests', 'python-requests/2.31.0', 'crawler'],
    ['plain Slackbot (not an unfurl)', 'Slackbot 1.0 (+https://api.slack.com/robots)', 'crawler'],

    // Automation.
    ['headless Chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36', 'automation'],
    ['PhantomJS', 'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1', 'automation'],
    ['Selenium marker', `${CHROME_WINDOWS} Selenium/4.18`, 'automation'],
    ['puppeteer marker', `${CHROME_WINDOWS} puppeteer`, 'automation'],
    ['no user agent', '', 'automation'],
    ['a blank user agent', '   ', 'automation'],
  ])('%s → %j', (_name, userAgent, expected) => {
    expect(classifyBot({ method: 'GET', userAgent })).toBe(expected);
  });

  it('counts every HEAD request as head_request, whoever sends it', () => {
    expect(classifyBot({ method: 'HEAD', userAgent: CHROME_WINDOWS })).toBe('head_request');
    expect(classifyBot({ method: 'HEAD', userAgent: 'Twitterbot/1.0' })).toBe('head_request');
    expect(classifyBot({ method: 'HEAD', userAgent: '' })).toBe('head_request');
  });

  it('judges beacons (POST) and redirects (GET) by their user agent alone', () => {
    expect(classifyBot({ method: 'POST', userAgent: CHROME_WINDOWS })).toBe('');
    expect(classifyBot({ method: 'POST', userAgent: 'Twitterbot/1.0' })).toBe('preview');
  });
});
