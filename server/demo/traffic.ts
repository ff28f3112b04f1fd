// Realistic, deterministic analytics traffic for one profile: rows of ClickHouse's `events` table
// (lib/events/analytics-row.ts) exactly as the consumers would have written them, for the demo
// (`linkpulse demo`), the benchmarks (bench/) and tests that need a dashboard with data.
//
//   for (const rows of generateTraffic({ profileId, links: [{ id }, { id, kind: 'github' }], days: 90, events: 300_000 })) {
//     await clickhouse.insert('events', rows);
//   }
//
// The same options (seed included) give the same rows, so batches can carry deduplication tokens.
// Rows arrive in batches, day by day, so 10 million of them never sit in memory at once.
//
// What the traffic looks like:
// - days: a growth trend (about +80% over the window), a weekly rhythm (developers: busy Tuesday to
//   Thursday, quiet weekends), day-to-day noise, and two spikes: a Hacker News front page (a day of
//   about 7 times the traffic, fading over two more) and a newsletter issue (email, with UTM tags);
// - hours: each visitor's local time of day (their city's UTC offset; daylight saving ignored):
//   quiet at night, a late-morning and an evening peak;
// - visitors: a session is 1-3 page views (a visitor who comes back the same day); a share of
//   sessions come from people seen before. visitor_id is what ingest's hash gives: stable within a
//   UTC day and different across days (the daily salt rotates), so "came back" shows only within a day;
// - views → clicks: about 30% of human views lead to a click, spread over the links by weight
//   (earlier links get more); a GitHub card draws more clicks from developer channels. Each click is
//   a 'click' row (the /r/ redirect) and, when the tracker ran (~90%), a 'click_position' row joined
//   by click_id, with x 0..1 across the content column, y in CSS pixels around the link's place in
//   the mobile (~390 px wide) or desktop layout, the viewport, and the time from load to click;
// - audience: countries with their cities and regions, device/browser/OS mixes that depend on the
//   channel (Hacker News readers are on desktops, social apps on phones), referrers classified as
//   consumers/steps/classify-referrer.step.ts would (github, hacker_news, stack_overflow, dev_to, …),
//   UTM campaigns, ~4% bot rows (crawlers, link previews, automation, HEAD requests) and ~1% of the
//   creator's own (internal) visits.
import { buildAnalyticsRow, NO_LINK, type AnalyticsRow, type BotKind, type Channel, type DeviceClass, type VisitColumns } from '../../lib/events/analytics-row.js';
import { seededRandom } from '../../lib/seeded-random.js';

export interface TrafficLink {
  /** The link's id (a UUID): rows for clicks on it carry it as link_id. */
  id: string;
  /** Relative share of clicks; defaults fall with the position (the first link gets the most). */
  weight?: number;
  /** A GitHub repository card is taller than a plain link button (it moves the links below it). */
  kind?: 'url' | 'github';
}

export interface TrafficOptions {
  profileId: string;
  /** The profile's links, in page order. With none, only views are generated. */
  links: readonly TrafficLink[];
  /** Rows to generate, exactly (views, clicks and click positions together). */
  events: number;
  /** Days of traffic, ending at `end`. Default 90. */
  days?: number;
  /** The instant the traffic ends (exclusive), Unix ms or a Date. Default: now. */
  end?: number | Date;
  /** PRNG seed; the same options give the same rows. Default 1. */
  seed?: number;
  /** Rows per yielded batch (the last may be shorter). Default 10,000. */
  batchSize?: number;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Batches of `options.events` rows in all, oldest day first. */
export function* generateTraffic(options: TrafficOptions): Generator<AnalyticsRow[], void, undefined> {
  const days = options.days ?? 90;
  const batchSize = options.batchSize ?? 10_000;
  if (!Number.isInteger(options.events) || options.events < 0) throw new RangeError('events must be a whole number ≥ 0');
  if (!Number.isInteger(days) || days < 1) throw new RangeError('days must be a whole number ≥ 1');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a whole number ≥ 1');
  const end = options.end === undefined ? Date.now() : typeof options.end === 'number' ? options.end : options.end.getTime();
  const random = seededRandom(options.seed ?? 1);
  const plan = planDays(days, end, random);
  const quotas = splitExactly(options.events, plan.map((day) => day.weight));
  const placed = layoutLinks(options.links);
  const links: LinkChoices = {
    all: placed,
    general: placed.map((link) => [link, link.weight] as const),
    // A GitHub card draws developers' clicks.
    developer: placed.map((link) => [link, link.weight * (link.isGithub ? 2 : 1)] as const),
  };
  const pool = new VisitorPool(random);

  let batch: AnalyticsRow[] = [];
  for (const [dayIndex, day] of plan.entries()) {
    const quota = quotas[dayIndex]!;
    const dayStart = end - (days - dayIndex) * DAY_MS;
    const context: DayContext = { profileId: options.profileId, dayIndex, dayStart, dayEnd: dayStart + DAY_MS, spike: day.spike, links, random, pool };
    let produced = 0;
    while (produced < quota) {
      for (const row of session(context)) {
        if (produced === quota) break;
        batch.push(row);
        produced += 1;
        if (batch.length === batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
  }
  if (batch.length > 0) yield batch;
}

// ---------------------------------------------------------------------------------------------
// Randomness

type Random = () => number;

function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Cumulative weights per choice table, computed once: the tables are constants, picked millions of times. */
const cumulativeWeights = new WeakMap<readonly unknown[], Float64Array>();

function pick<T>(random: Random, items: readonly (readonly [T, number])[]): T {
  let cumulative = cumulativeWeights.get(items);
  if (cumulative === undefined) {
    cumulative = new Float64Array(items.length);
    let total = 0;
    for (const [index, [, weight]] of items.entries()) cumulative[index] = total += weight;
    cumulativeWeights.set(items, cumulative);
  }
  const r = random() * cumulative[cumulative.length - 1]!;
  for (let index = 0; index < cumulative.length; index++) if (r < cumulative[index]!) return items[index]![0];
  return items[items.length - 1]![0];
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Splits total into whole parts proportional to weights that add up to total exactly. */
function splitExactly(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  let given = 0;
  return weights.map((weight) => {
    cumulative += weight;
    const upTo = Math.round((cumulative / sum) * total);
    const part = upTo - given;
    given = upTo;
    return part;
  });
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** A UUID string from PRNG bits, with version 7's timestamp layout (sorts by time, like uuidv7()). */
function uuid(random: Random, timestamp: number): string {
  const high = Math.floor(timestamp / 65_536);
  const a = (random() * 4_294_967_296) >>> 0;
  const b = (random() * 4_294_967_296) >>> 0;
  const c = (random() * 4_294_967_296) >>> 0;
  return (
    HEX[(high >>> 24) & 255]! + HEX[(high >>> 16) & 255]! + HEX[(high >>> 8) & 255]! + HEX[high & 255]! + '-' +
    HEX[(timestamp >>> 8) & 255]! + HEX[timestamp & 255]! + '-7' +
    HEX[(a >>> 24) & 255]!.slice(1) + HEX[(a >>> 16) & 255]! + '-' +
    HEX[0x80 | ((a >>> 8) & 0x3f)]! + HEX[a & 255]! + '-' +
    HEX[(b >>> 24) & 255]! + HEX[(b >>> 16) & 255]! + HEX[(b >>> 8) & 255]! + HEX[b & 255]! +
    HEX[(c >>> 24) & 255]! + HEX[(c >>> 16) & 255]!
  );
}

// ---------------------------------------------------------------------------------------------
// Days: trend, weekly rhythm, spikes

interface DayPlan {
  weight: number;
  /** A day with extra traffic from one source: `share` of its sessions come from it. */
  spike?: { source: SpikeSource; share: number };
}

type SpikeSource = 'hacker_news' | 'newsletter';

/** Monday = index 1 (Date#getUTCDay). A developer audience: busy mid-week, quiet weekends. */
const WEEKDAY_FACTOR = [0.68, 1.0, 1.1, 1.12, 1.08, 0.95, 0.62];

function planDays(days: number, end: number, random: Random): DayPlan[] {
  const hackerNewsDay = Math.floor(days * 0.62);
  const newsletterDay = Math.floor(days * 0.3);
  const plans: DayPlan[] = [];
  for (let day = 0; day < days; day++) {
    const progress = days === 1 ? 1 : day / (days - 1);
    // The weekday of the day's midpoint (in UTC).
    const weekday = new Date(end - (days - day) * DAY_MS + DAY_MS / 2).getUTCDay();
    const base = 0.55 * Math.exp(0.6 * progress) * WEEKDAY_FACTOR[weekday]! * (1 + 0.08 * normal(random));
    let multiplier = 1;
    let source: SpikeSource | undefined;
    if (days >= 7 && day === hackerNewsDay) [multiplier, source] = [7, 'hacker_news'];
    else if (days >= 7 && day === hackerNewsDay + 1) [multiplier, source] = [2.6, 'hacker_news'];
    else if (days >= 7 && day === hackerNewsDay + 2) [multiplier, source] = [1.4, 'hacker_news'];
    else if (days >= 14 && day === newsletterDay) [multiplier, source] = [2.2, 'newsletter'];
    const weight = Math.max(0.05, base) * multiplier;
    plans.push(source === undefined ? { weight } : { weight, spike: { source, share: 1 - 1 / multiplier } });
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------
// Hours: local time of day

/** Relative traffic by local hour: night trough, late-morning and evening peaks. */
const HOUR_WEIGHT = [0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.25, 0.45, 0.7, 0.9, 1.0, 1.0, 0.9, 0.95, 0.95, 0.9, 0.85, 0.8, 0.8, 0.85, 0.95, 1.0, 0.8, 0.5];

/** An instant in [start, end) whose local hour (at offsetMinutes) follows HOUR_WEIGHT. */
function instantInDay(random: Random, start: number, end: number, offsetMinutes: number): number {
  for (;;) {
    const t = start + Math.floor(random() * (end - start));
    const localHour = Math.floor((((t + offsetMinutes * MINUTE_MS) % DAY_MS) + DAY_MS) % DAY_MS / 3_600_000);
    if (random() < HOUR_WEIGHT[localHour]!) return t;
  }
}

// ---------------------------------------------------------------------------------------------
// Audience: where, on what

/** Where a visitor is: the geo database's city and region, and the local time zone. */
interface City {
  city: string;
  region: string;
  /** Minutes east of UTC (standard time). */
  offset: number;
}

/** A city: its name and region as the geo database gives them, its share of the country's visitors, and its own UTC offset where that differs from the country's. */
type CityRow = readonly [city: string, region: string, weight: number, offset?: number];

/** Countries by share of visitors, with the UTC offset of most of their cities (minutes east of UTC, standard time). */
const COUNTRIES: readonly (readonly [code: string, weight: number, offset: number, cities: readonly CityRow[]])[] = [
  ['US', 26, -480, [['San Francisco', 'California', 5], ['New York', 'New York', 5, -300], ['Seattle', 'Washington', 3], ['Austin', 'Texas', 2, -360], ['Chicago', 'Illinois', 2, -360], ['Boston', 'Massachusetts', 2, -300], ['Denver', 'Colorado', 1, -420]]],
  ['DE', 9, 60, [['Berlin', 'Land Berlin', 4], ['Munich', 'Bavaria', 3], ['Hamburg', 'Hamburg', 2], ['Cologne', 'North Rhine-Westphalia', 1.5]]],
  ['IN', 8, 330, [['Bengaluru', 'Karnataka', 5], ['Hyderabad', 'Telangana', 2], ['Pune', 'Maharashtra', 2], ['Mumbai', 'Maharashtra', 2], ['New Delhi', 'Delhi', 2]]],
  ['GB', 7, 0, [['London', 'England', 6], ['Manchester', 'England', 1.5], ['Cambridge', 'England', 1], ['Edinburgh', 'Scotland', 1]]],
  ['FR', 4, 60, [['Paris', 'Île-de-France', 5], ['Lyon', 'Auvergne-Rhône-Alpes', 1.5], ['Toulouse', 'Occitanie', 1]]],
  ['CA', 4, -300, [['Toronto', 'Ontario', 4], ['Vancouver', 'British Columbia', 2, -480], ['Montreal', 'Quebec', 2]]],
  ['NL', 3, 60, [['Amsterdam', 'North Holland', 4], ['Utrecht', 'Utrecht', 1], ['Rotterdam', 'South Holland', 1]]],
  ['BR', 3, -180, [['São Paulo', 'São Paulo', 4], ['Rio de Janeiro', 'Rio de Janeiro', 2], ['Belo Horizonte', 'Minas Gerais', 1]]],
  ['JP', 3, 540, [['Tokyo', 'Tokyo', 5], ['Osaka', 'Osaka', 1.5], ['Yokohama', 'Kanagawa', 1]]],
  ['SE', 2, 60, [['Stockholm', 'Stockholm County', 3], ['Gothenburg', 'Västra Götaland County', 1]]],
  ['PL', 2, 60, [['Warsaw', 'Mazovia', 3], ['Kraków', 'Lesser Poland', 2], ['Wrocław', 'Lower Silesia', 1]]],
  ['ES', 2, 60, [['Madrid', 'Madrid', 3], ['Barcelona', 'Catalonia', 3]]],
  ['AU', 2, 600, [['Sydney', 'New South Wales', 3], ['Melbourne', 'Victoria', 2]]],
  ['IT', 1.5, 60, [['Milan', 'Lombardy', 2], ['Rome', 'Lazio', 1]]],
  ['CN', 1.5, 480, [['Shanghai', 'Shanghai', 2], ['Beijing', 'Beijing', 2], ['Shenzhen', 'Guangdong', 1]]],
  ['KR', 1.2, 540, [['Seoul', 'Seoul', 1]]],
  ['CH', 1, 60, [['Zurich', 'Zurich', 1]]],
  ['UA', 1, 120, [['Kyiv', 'Kyiv City', 1]]],
  ['SG', 1, 480, [['Singapore', 'Singapore', 1]]],
  ['NG', 0.8, 60, [['Lagos', 'Lagos', 1]]],
  ['ID', 0.8, 420, [['Jakarta', 'Jakarta', 1]]],
  ['AR', 0.6, -180, [['Buenos Aires', 'Buenos Aires F.D.', 1]]],
  // Prefixes the geo database does not place (VPNs, new ranges).
  ['', 1.5, 0, [['', '', 1]]],
];
const COUNTRY_CHOICES = COUNTRIES.map(([code, weight, countryOffset, cities]) => {
  const cityChoices = cities.map(([city, region, cityWeight, offset = countryOffset]) => [{ city, region, offset } satisfies City, cityWeight] as const);
  return [{ code, cities: cityChoices }, weight] as const;
});

interface Agent {
  device: DeviceClass;
  browser: string;
  os: string;
  viewport: readonly [number, number];
}

type FormFactor = 'desktop' | 'mobile' | 'tablet';

/** Browsers and operating systems per form factor (the device class), by share: [browser, OS, share]. */
const AGENTS: Record<FormFactor, readonly (readonly [browser: string, os: string, weight: number])[]> = {
  desktop: [['Chrome', 'Windows', 20], ['Chrome', 'macOS', 18], ['Safari', 'macOS', 9], ['Firefox', 'Linux', 9], ['Chrome', 'Linux', 8], ['Firefox', 'Windows', 6], ['Firefox', 'macOS', 5], ['Edge', 'Windows', 9], ['Opera', 'Windows', 1.5], ['Chrome', 'ChromeOS', 1]],
  mobile: [['Safari', 'iOS', 40], ['Chrome', 'iOS', 6], ['Chrome', 'Android', 34], ['Samsung Internet', 'Android', 7], ['Firefox', 'Android', 3], ['WebView', 'iOS', 4], ['WebView', 'Android', 3]],
  tablet: [['Safari', 'iOS', 6], ['Chrome', 'Android', 3]],
};
const agentChoices = (form: FormFactor) => AGENTS[form].map(([browser, os, weight]) => [{ device: form, browser, os } satisfies Omit<Agent, 'viewport'>, weight] as const);
const AGENT_CHOICES = { desktop: agentChoices('desktop'), mobile: agentChoices('mobile'), tablet: agentChoices('tablet') };

const VIEWPORTS: Record<FormFactor, readonly (readonly [readonly [number, number], number])[]> = {
  desktop: [[[1920, 960], 4], [[1536, 730], 3], [[1440, 790], 3], [[1280, 640], 2], [[2560, 1300], 1]],
  mobile: [[[390, 844], 5], [[393, 852], 3], [[412, 915], 3], [[360, 800], 2], [[430, 932], 2]],
  tablet: [[[820, 1180], 2], [[768, 1024], 2], [[1024, 1366], 1]],
};

// ---------------------------------------------------------------------------------------------
// Where visitors come from

interface Source {
  channel: Channel;
  domains: readonly (readonly [string, number])[];
  /** Share of desktop visitors (the rest: mostly phones, a few tablets). */
  desktop: number;
}

const SOURCES: readonly (readonly [Source, number])[] = [
  [{ channel: 'direct', domains: [['', 1]], desktop: 0.45 }, 28],
  [{ channel: 'github', domains: [['github.com', 9], ['gist.github.com', 1]], desktop: 0.85 }, 16],
  [{ channel: 'search', domains: [['google.com', 10], ['duckduckgo.com', 3], ['bing.com', 1.5], ['google.de', 1.5], ['google.co.uk', 1], ['kagi.com', 0.5]], desktop: 0.6 }, 11],
  [{ channel: 'x', domains: [['t.co', 3], ['x.com', 1]], desktop: 0.3 }, 7],
  [{ channel: 'linkedin', domains: [['linkedin.com', 3], ['lnkd.in', 1]], desktop: 0.45 }, 5],
  [{ channel: 'hacker_news', domains: [['news.ycombinator.com', 1]], desktop: 0.7 }, 4],
  [{ channel: 'reddit', domains: [['reddit.com', 3], ['old.reddit.com', 1]], desktop: 0.5 }, 4],
  [{ channel: 'dev_to', domains: [['dev.to', 1]], desktop: 0.7 }, 3],
  [{ channel: 'stack_overflow', domains: [['stackoverflow.com', 5], ['superuser.com', 1]], desktop: 0.9 }, 3],
  [{ channel: 'npm', domains: [['npmjs.com', 1]], desktop: 0.95 }, 2],
  [{ channel: 'youtube', domains: [['youtube.com', 1]], desktop: 0.4 }, 2],
  [{ channel: 'social', domains: [['bsky.app', 3], ['mastodon.social', 2], ['fosstodon.org', 1], ['discord.com', 2], ['instagram.com', 1]], desktop: 0.35 }, 5],
  [{ channel: 'email', domains: [['mail.google.com', 2], ['outlook.live.com', 1], ['app.fastmail.com', 0.5]], desktop: 0.6 }, 2],
  [{ channel: 'referral', domains: [['blog.example.dev', 2], ['lobste.rs', 2], ['daily.dev', 2], ['medium.com', 2], ['someone.github.io', 1]], desktop: 0.65 }, 8],
];

const HACKER_NEWS_SOURCE: Source = { channel: 'hacker_news', domains: [['news.ycombinator.com', 1]], desktop: 0.7 };
/** Readers of a newsletter issue: mostly mail apps (no referrer), some webmail. */
const NEWSLETTER_SOURCE: Source = { channel: 'email', domains: [['', 3], ['mail.google.com', 1]], desktop: 0.55 };

type Utm = Pick<AnalyticsRow, 'utm_source' | 'utm_medium' | 'utm_campaign'>;
const NO_UTM: Utm = { utm_source: '', utm_medium: '', utm_campaign: '' };

/** UTM tags the creator put on links they shared, per channel (share of that channel's visits). */
const CAMPAIGNS: Partial<Record<Channel, readonly (readonly [Utm, number])[]>> = {
  x: [[{ utm_source: 'twitter', utm_medium: 'social', utm_campaign: 'launch-week' }, 0.25]],
  linkedin: [[{ utm_source: 'linkedin', utm_medium: 'social', utm_campaign: 'talk-kubecon' }, 0.35]],
  youtube: [[{ utm_source: 'youtube', utm_medium: 'video', utm_campaign: 'talk-kubecon' }, 0.5]],
  github: [[{ utm_source: 'github', utm_medium: 'readme', utm_campaign: 'readme-badge' }, 0.15]],
  dev_to: [[{ utm_source: 'devto', utm_medium: 'article', utm_campaign: 'rust-wasm-post' }, 0.6]],
  email: [[{ utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'monthly-update' }, 0.7]],
};
const NEWSLETTER_UTM: Utm = { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'devtools-weekly-142' };

// ---------------------------------------------------------------------------------------------
// Visitors

interface Visitor {
  key: number;
  country: string;
  city: City;
  agent: Agent;
}

/** People seen before: a session picks one of them with RETURNING_SHARE, otherwise someone new. */
const POOL_SIZE = 5_000;
const RETURNING_SHARE = 0.3;

class VisitorPool {
  private readonly visitors: Visitor[] = [];
  private nextKey = 1;
  private replace = 0;

  constructor(private readonly random: Random) {}

  visitorFor(source: Source, isInternal: boolean): Visitor {
    const random = this.random;
    if (isInternal) return CREATOR;
    if (this.visitors.length > 0 && random() < RETURNING_SHARE) return this.visitors[Math.floor(random() * this.visitors.length)]!;
    const { code, cities } = pick(random, COUNTRY_CHOICES);
    const r = random();
    const form = r < source.desktop ? 'desktop' : r < source.desktop + (1 - source.desktop) * 0.94 ? 'mobile' : 'tablet';
    const agent: Agent = { ...pick(random, AGENT_CHOICES[form]), viewport: pick(random, VIEWPORTS[form]) };
    const visitor: Visitor = { key: this.nextKey++, country: code, city: pick(random, cities), agent };
    // Some cities are not in the geo database: the country only.
    if (code !== '' && random() < 0.05) visitor.city = { ...visitor.city, city: '', region: random() < 0.5 ? '' : visitor.city.region };
    if (this.visitors.length < POOL_SIZE) this.visitors.push(visitor);
    else this.visitors[this.replace++ % POOL_SIZE] = visitor;
    return visitor;
  }
}

/** The creator, looking at their own page (is_internal = 1). */
const CREATOR: Visitor = {
  key: 0,
  country: 'DE',
  city: { city: 'Berlin', region: 'Land Berlin', offset: 60 },
  agent: { device: 'desktop', browser: 'Firefox', os: 'Linux', viewport: [1920, 960] },
};

/** What ingest's keyed hash would give: the same id all day for one visitor, another the next day. */
function visitorId(key: number, dayIndex: number): string {
  let h1 = Math.imul(key ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(dayIndex + 1, 0xc2b2ae35);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x7feb352d);
  h1 = Math.imul(h1 ^ (h1 >>> 15), 0x846ca68b);
  let h2 = Math.imul(h1 ^ key, 0x27d4eb2f) ^ (dayIndex * 0x165667b1);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x85ebca77);
  // 53 bits: an exact JavaScript number, a valid UInt64.
  return String(((h1 >>> 0) % 2_097_152) * 4_294_967_296 + (h2 >>> 0));
}

// ---------------------------------------------------------------------------------------------
// The page: where each link sits, for click positions

interface PlacedLink {
  id: string;
  weight: number;
  isGithub: boolean;
  /** Top and height of the link in CSS pixels from the top of the content column, per layout. */
  mobile: { top: number; height: number };
  desktop: { top: number; height: number };
}

/**
 * The public page's layout (dashboard/src/lib/profile/ProfileView.svelte), measured in Chromium on
 * the demo page: the links start 227 px below the top of the content column on a 390 px phone
 * (the bio wraps more) and 189 px on a desktop, 12 px apart; a plain link is a 48 px button (about
 * 58 px on phones, where longer titles wrap), a GitHub card about 72 px.
 */
function layoutLinks(links: readonly TrafficLink[]): PlacedLink[] {
  let mobileTop = 227;
  let desktopTop = 189;
  return links.map((link, index) => {
    const isGithub = link.kind === 'github';
    const placed: PlacedLink = {
      id: link.id,
      weight: link.weight ?? 1 / (index + 1) ** 0.7,
      isGithub,
      mobile: { top: mobileTop, height: isGithub ? 72 : 58 },
      desktop: { top: desktopTop, height: isGithub ? 72 : 48 },
    };
    mobileTop += placed.mobile.height + 12;
    desktopTop += placed.desktop.height + 12;
    return placed;
  });
}

// ---------------------------------------------------------------------------------------------
// Sessions → rows

interface LinkChoices {
  all: readonly PlacedLink[];
  general: readonly (readonly [PlacedLink, number])[];
  developer: readonly (readonly [PlacedLink, number])[];
}

interface DayContext {
  profileId: string;
  dayIndex: number;
  dayStart: number;
  dayEnd: number;
  spike: DayPlan['spike'];
  links: LinkChoices;
  random: Random;
  pool: VisitorPool;
}

const DEVELOPER_CHANNELS: ReadonlySet<Channel> = new Set(['github', 'hacker_news', 'stack_overflow', 'dev_to', 'npm']);
/** Share of human page views that lead to a click on one of the links. */
const CLICK_THROUGH = 0.3;
/** Share of clicks whose tracker beacon arrived (JavaScript on, not blocked): a click_position row. */
const TRACKED_CLICKS = 0.9;
/** Direct visits that began with a QR scan of the page (the demo shows the scans breakdown). */
const QR_SHARE_OF_DIRECT = 0.2;
/** Share of sessions that are bots; they make fewer rows than people, so ~4% of rows. */
const BOT_SESSIONS = 0.075;
const INTERNAL_SESSIONS = 0.008;

const BOT_KINDS: readonly (readonly [Exclude<BotKind, ''>, number])[] = [
  ['crawler', 55],
  ['preview', 30],
  ['automation', 10],
  ['head_request', 5],
];

/** One visit's rows, in time order: 1-3 views, each perhaps followed by a click (and its position). */
function session(context: DayContext): AnalyticsRow[] {
  const { random } = context;
  if (random() < BOT_SESSIONS) return botSession(context);
  const isInternal = random() < INTERNAL_SESSIONS;
  let source: Source;
  let utm: Utm = NO_UTM;
  if (context.spike && random() < context.spike.share) {
    source = context.spike.source === 'hacker_news' ? HACKER_NEWS_SOURCE : NEWSLETTER_SOURCE;
    if (context.spike.source === 'newsletter') utm = NEWSLETTER_UTM;
  } else {
    source = isInternal ? SOURCES[0]![0] : pick(random, SOURCES);
    for (const [campaign, share] of CAMPAIGNS[source.channel] ?? []) if (random() < share) utm = campaign;
  }
  let referrerDomain = pick(random, source.domains);
  // Email apps mostly send no referrer; the UTM medium says "email" (classifyReferrer's first rule).
  if (source.channel === 'email' && utm.utm_medium === 'email' && random() < 0.7) referrerDomain = '';
  const visitor = context.pool.visitorFor(source, isInternal);
  const visit: VisitColumns = {
    profile_id: context.profileId,
    visitor_id: visitorId(visitor.key, context.dayIndex),
    bot_kind: '',
    is_internal: isInternal ? 1 : 0,
    country: visitor.country,
    region: visitor.city.region,
    city: visitor.city.city,
    device: visitor.agent.device,
    browser: visitor.agent.browser,
    os: visitor.agent.os,
    referrer_domain: referrerDomain,
    channel: source.channel,
    utm_source: utm.utm_source,
    utm_medium: utm.utm_medium,
    utm_campaign: utm.utm_campaign,
    // Direct visits that began with a scan of the page's QR code (a talk's slide, a sticker).
    trigger: source.channel === 'direct' && !isInternal && random() < QR_SHARE_OF_DIRECT ? 'qr' : 'link',
  };

  const rows: AnalyticsRow[] = [];
  const views = isInternal ? 1 + Math.floor(random() * 4) : random() < 0.8 ? 1 : random() < 0.7 ? 2 : 3;
  let t = instantInDay(random, context.dayStart, context.dayEnd, visitor.city.offset);
  for (let view = 0; view < views; view++) {
    if (view > 0) t += Math.floor(MINUTE_MS * (2 + random() * 240));
    if (t >= context.dayEnd) break;
    rows.push(buildAnalyticsRow(visit, uuid(random, t), 'view', t, NO_LINK, NO_LINK));
    const isDeveloper = DEVELOPER_CHANNELS.has(source.channel);
    const clickThrough = isInternal ? 0.5 : CLICK_THROUGH * (isDeveloper ? 1.25 : 1);
    if (context.links.all.length === 0 || random() >= clickThrough) continue;
    const link = pick(random, isDeveloper ? context.links.developer : context.links.general);
    const timeToClick = Math.round(clamp(Math.exp(Math.log(3_500) + 0.9 * normal(random)), 250, 600_000));
    const clickAt = t + timeToClick;
    if (clickAt >= context.dayEnd) break;
    const isTracked = random() < TRACKED_CLICKS;
    const clickId = isTracked ? uuid(random, clickAt) : NO_LINK;
    rows.push(buildAnalyticsRow(visit, uuid(random, clickAt), 'click', clickAt, link.id, clickId));
    if (isTracked) {
      const box = visitor.agent.device === 'mobile' ? link.mobile : link.desktop;
      rows.push(
        buildAnalyticsRow(visit, uuid(random, clickAt), 'click_position', clickAt, link.id, clickId, {
          // People aim at the middle of a button, a little left of it on cards (the repository name).
          click_x: Math.round(clamp((link.isGithub ? 0.4 : 0.5) + 0.16 * normal(random), 0.05, 0.95) * 1000) / 1000,
          click_y: Math.round(clamp(box.top + box.height / 2 + (box.height / 4) * normal(random), box.top + 1, box.top + box.height - 1)),
          viewport_width: visitor.agent.viewport[0],
          viewport_height: visitor.agent.viewport[1],
          time_to_click_ms: timeToClick,
        }),
      );
    }
    t = clickAt;
  }
  return rows;
}

/**
 * Bots, as the consumers label them: crawlers and headless browsers that run the tracker (views),
 * link previews and HEAD requests that fetch /r/ links (clicks, never a position).
 */
function botSession(context: DayContext): AnalyticsRow[] {
  const { random } = context;
  const kind = pick(random, BOT_KINDS);
  const t = context.dayStart + Math.floor(random() * (context.dayEnd - context.dayStart));
  const isClick = (kind === 'preview' || kind === 'head_request') && context.links.all.length > 0;
  const link = isClick ? context.links.all[Math.floor(random() * context.links.all.length)]! : undefined;
  const [country, city, region] = random() < 0.6 ? ['US', 'Ashburn', 'Virginia'] : random() < 0.5 ? ['DE', 'Frankfurt am Main', 'Hesse'] : ['', '', ''];
  const visit: VisitColumns = {
    profile_id: context.profileId,
    visitor_id: visitorId(1_000_000_000 + Math.floor(random() * 500), context.dayIndex),
    bot_kind: kind,
    is_internal: 0,
    country,
    region,
    city,
    device: 'bot',
    browser: kind === 'automation' ? 'Chrome Headless' : '',
    os: kind === 'automation' ? 'Linux' : '',
    referrer_domain: '',
    channel: 'direct',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
  };
  return [buildAnalyticsRow(visit, uuid(random, t), isClick ? 'click' : 'view', t, link?.id ?? NO_LINK, NO_LINK)];
}
