import { describe, expect, it } from 'vitest';
import { parseUserAgent, type UserAgentInfo } from './parse-user-agent.step.js';

// Real user agents as browsers and apps send them (2024), with what the dashboard should show.
const TABLE: readonly [string, string, UserAgentInfo][] = [
  // Desktop
  ['Chrome on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { device: 'desktop', browser: 'Chrome', os: 'Windows' }],
  ['Chrome on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { device: 'desktop', browser: 'Chrome', os: 'macOS' }],
  ['Chrome on Linux', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { device: 'desktop', browser: 'Chrome', os: 'Linux' }],
  ['Chrome on ChromeOS', 'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { device: 'desktop', browser: 'Chrome', os: 'ChromeOS' }],
  ['Firefox on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', { device: 'desktop', browser: 'Firefox', os: 'Windows' }],
  ['Firefox on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0', { device: 'desktop', browser: 'Firefox', os: 'macOS' }],
  ['Firefox on Ubuntu', 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', { device: 'desktop', browser: 'Firefox', os: 'Linux' }],
  ['Firefox on Fedora', 'Mozilla/5.0 (X11; Fedora; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', { device: 'desktop', browser: 'Firefox', os: 'Linux' }],
  ['Safari on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15', { device: 'desktop', browser: 'Safari', os: 'macOS' }],
  ['Edge on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80', { device: 'desktop', browser: 'Edge', os: 'Windows' }],
  ['Edge on macOS', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80', { device: 'desktop', browser: 'Edge', os: 'macOS' }],
  ['Opera on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0', { device: 'desktop', browser: 'Opera', os: 'Windows' }],
  ['Vivaldi on Windows', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Vivaldi/6.7.3329.17', { device: 'desktop', browser: 'Vivaldi', os: 'Windows' }],
  // iPadOS 13+ Safari asks for desktop sites and sends the Mac user agent: indistinguishable.
  ['iPad Safari (desktop mode, the default)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15', { device: 'desktop', browser: 'Safari', os: 'macOS' }],

  // Phones and tablets
  ['iPhone Safari', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1', { device: 'mobile', browser: 'Safari', os: 'iOS' }],
  ['iPad Safari (mobile mode)', 'Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1', { device: 'tablet', browser: 'Safari', os: 'iOS' }],
  ['Chrome on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1', { device: 'mobile', browser: 'Chrome', os: 'iOS' }],
  ['Firefox on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15', { device: 'mobile', browser: 'Firefox', os: 'iOS' }],
  ['Edge on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 EdgiOS/124.2478.71 Mobile/15E148 Safari/605.1.15', { device: 'mobile', browser: 'Edge', os: 'iOS' }],
  ['Android Chrome (reduced UA)', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', { device: 'mobile', browser: 'Chrome', os: 'Android' }],
  ['Android Chrome on a Pixel', 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36', { device: 'mobile', browser: 'Chrome', os: 'Android' }],
  ['Android tablet Chrome (reduced UA, no "Mobile")', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { device: 'tablet', browser: 'Chrome', os: 'Android' }],
  ['Galaxy Tab Chrome', 'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', { device: 'tablet', browser: 'Chrome', os: 'Android' }],
  ['Samsung Internet', 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36', { device: 'mobile', browser: 'Samsung Internet', os: 'Android' }],
  ['Firefox for Android', 'Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0', { device: 'mobile', browser: 'Firefox', os: 'Android' }],
  ['Edge for Android', 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64', { device: 'mobile', browser: 'Edge', os: 'Android' }],
  ['Opera for Android', 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 OPR/82.0.0.0', { device: 'mobile', browser: 'Opera', os: 'Android' }],
  ['Kindle Fire Silk', 'Mozilla/5.0 (Linux; Android 13; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.2.1 like Chrome/124.0.6367.93 Safari/537.36', { device: 'tablet', browser: 'Silk', os: 'Android' }],

  // In-app browsers: the app is the browser people used.
  ['Instagram on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.33.109 (iPhone15,3; iOS 17_4; en_US; en; scale=3.00; 1290x2796; 588245735)', { device: 'mobile', browser: 'Instagram', os: 'iOS' }],
  ['Instagram on Android', 'Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 Instagram 327.0.0.42.89 Android (34/14; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; qcom; en_US; 587524421)', { device: 'mobile', browser: 'Instagram', os: 'Android' }],
  ['Facebook on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/452.0.0.40.109;FBBV/567891234;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.3.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]', { device: 'mobile', browser: 'Facebook', os: 'iOS' }],
  ['Facebook on Android', 'Mozilla/5.0 (Linux; Android 14; Pixel 7 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/122.0.6261.119 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/453.0.0.37.108;]', { device: 'mobile', browser: 'Facebook', os: 'Android' }],
  ['LinkedIn on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.6220', { device: 'mobile', browser: 'LinkedIn', os: 'iOS' }],
  ['X on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.40', { device: 'mobile', browser: 'X', os: 'iOS' }],
  ['Google app on iPhone', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/315.0.630091404 Mobile/15E148 Safari/604.1', { device: 'mobile', browser: 'Google App', os: 'iOS' }],
  ['an unnamed Android WebView', 'Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36', { device: 'mobile', browser: 'WebView', os: 'Android' }],
  ['an unnamed iOS WKWebView', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', { device: 'mobile', browser: 'WebView', os: 'iOS' }],

  // Neither computers nor phones.
  ['PlayStation 5', 'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15', { device: 'other', browser: 'Safari', os: 'PlayStation' }],
  ['Samsung smart TV', 'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36', { device: 'other', browser: 'Samsung Internet', os: 'Tizen' }],

  // Bots: device 'bot', whatever their user agent imitates.
  ['curl', 'curl/8.4.0', { device: 'bot', browser: '', os: '' }],
  ['Googlebot', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', { device: 'bot', browser: '', os: '' }],
  ['Googlebot smartphone', 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', { device: 'bot', browser: 'Chrome', os: 'Android' }],
  ['Slackbot', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', { device: 'bot', browser: '', os: '' }],
  ['headless Chrome', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36', { device: 'bot', browser: 'Chrome Headless', os: 'Linux' }],
];

describe('parseUserAgent', () => {
  it.each(TABLE)('%s', (_name, userAgent, expected) => {
    expect(parseUserAgent(userAgent)).toEqual(expected);
  });

  it('takes the bot decision from the caller when given (a HEAD request from a browser is a bot)', () => {
    const chrome = TABLE[0]![1];
    expect(parseUserAgent(chrome, { isBot: true })).toEqual({ device: 'bot', browser: 'Chrome', os: 'Windows' });
    const googlebotSmartphone = TABLE.find(([name]) => name === 'Googlebot smartphone')![1];
    expect(parseUserAgent(googlebotSmartphone, { isBot: false }).device).toBe('mobile');
  });

  it('falls back to desktop with unknown names for a user agent it cannot read', () => {
    expect(parseUserAgent('SomethingNew/1.0', { isBot: false })).toEqual({ device: 'desktop', browser: '', os: '' });
  });
});
