// Device enrichment: device class, browser and OS from the user agent, with ua-parser-js 1.x (MIT).
// Do not upgrade to 2.x: it is AGPL. Its raw names are folded into a small vocabulary (below) so the
// dashboard's device, browser and OS breakdowns stay short and stable across parser upgrades.
import { createRequire } from 'node:module';
import type { DeviceClass } from '../../lib/events/analytics-row.js';
import { classifyUserAgent } from './classify-bot.step.js';

export interface UserAgentInfo {
  device: DeviceClass;
  /** Normalised browser name (see BROWSER_NAMES), '' when unrecognised. */
  browser: string;
  /** Normalised OS name (see OS_NAMES), '' when unrecognised. */
  os: string;
}

export interface ParseUserAgentOptions {
  /** The event's bot classification; derived from the user agent alone when not given. */
  isBot?: boolean;
}

/** The part of ua-parser-js 1.x we use (the package ships no type declarations). */
interface UAParserResult {
  browser: { name?: string };
  os: { name?: string };
  device: { type?: string };
}
type UAParserFunction = (userAgent: string) => UAParserResult;

// ua-parser-js 1.x is CommonJS and untyped; called without `new` it parses and returns the result.
const uaParser = createRequire(import.meta.url)('ua-parser-js') as UAParserFunction;

/**
 * ua-parser-js browser name → the name we store. Names not listed are kept as the parser gives them
 * (Chrome, Firefox, Safari, Edge, Opera, Samsung Internet, Vivaldi, Yandex, Instagram, Facebook, …).
 */
const BROWSER_NAMES: Readonly<Record<string, string>> = {
  'Mobile Safari': 'Safari', // the device class already says "mobile"
  'Chrome WebView': 'WebView', // Android in-app views without a product token of their own
  WebKit: 'WebView', // iOS/macOS in-app WKWebView: no Safari "Version/" token
  'Opera Mini': 'Opera',
  'Opera GX': 'Opera',
  'Opera Touch': 'Opera',
  'Opera Coast': 'Opera',
  'Opera Mobi': 'Opera',
  'Opera Tablet': 'Opera',
  'Firefox Focus': 'Firefox',
  'Firefox Reality': 'Firefox',
  GSA: 'Google App',
  Twitter: 'X',
  IE: 'Internet Explorer',
  UCBrowser: 'UC Browser',
};

/** ua-parser-js OS name → the name we store. Linux distributions fold into 'Linux'. */
const OS_NAMES: Readonly<Record<string, string>> = {
  'Mac OS': 'macOS',
  'Chromium OS': 'ChromeOS',
};
const LINUX_DISTRIBUTIONS: ReadonlySet<string> = new Set(
  [
    'ubuntu', 'kubuntu', 'xubuntu', 'lubuntu', 'debian', 'fedora', 'arch', 'mint', 'gentoo', 'suse', 'opensuse',
    'slackware', 'mandriva', 'centos', 'pclinuxos', 'red hat', 'redhat', 'zenwalk', 'linpus', 'raspbian',
    'deepin', 'manjaro', 'elementary os', 'sabayon', 'linspire', 'mageia', 'vectorlinux',
  ],
);

export function parseUserAgent(userAgent: string, options: ParseUserAgentOptions = {}): UserAgentInfo {
  const isBot = options.isBot ?? classifyUserAgent(userAgent) !== '';
  const result = uaParser(userAgent);
  const os = normaliseOs(result.os.name);
  return {
    device: isBot ? 'bot' : classifyDevice(result.device.type, os, userAgent),
    browser: normaliseBrowser(result.browser.name),
    os,
  };
}

function classifyDevice(type: string | undefined, os: string, userAgent: string): DeviceClass {
  switch (type) {
    case 'mobile':
      return 'mobile';
    case 'tablet':
      return 'tablet';
    case undefined:
      // Chrome's reduced user agent ("Linux; Android 10; K") names no device model, so the parser
      // finds no type. Android's own convention then decides: phones say "Mobile", tablets do not.
      if (os === 'Android') return /\bMobile\b/.test(userAgent) ? 'mobile' : 'tablet';
      if (os === 'iOS') return 'mobile';
      return 'desktop';
    default:
      return 'other'; // console, smarttv, wearable, embedded
  }
}

function normaliseBrowser(name: string | undefined): string {
  if (name === undefined) return '';
  return BROWSER_NAMES[name] ?? name;
}

function normaliseOs(name: string | undefined): string {
  if (name === undefined) return '';
  if (LINUX_DISTRIBUTIONS.has(name.toLowerCase())) return 'Linux';
  return OS_NAMES[name] ?? name;
}
