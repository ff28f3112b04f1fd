// GitHub as the sync sees it, both ways it can ask:
// - REST, one repository per request: GET /repos/{owner}/{repo} conditional on the stored ETag (a 304
//   costs nothing of the primary limit; renames answer 301, followed; deletions 404). Works without a
//   token, and is what a creator's refresh uses.
// - GraphQL, up to 100 repositories per query (aliases r0…r99), for scheduled syncs when the operator
//   has a token (GraphQL needs one). A query of 100 cards costs 1 point (GitHub's formula: the requests
//   its connections need, here one repositoryTopics per repository, divided by 100), read back from
//   rateLimit { cost remaining resetAt }. A deleted repository comes back null with an error of type
//   NOT_FOUND; a renamed one resolves to its new nameWithOwner.
//
// Every request goes through one budget (budget.ts, shared with every process) and one circuit
// breaker (this process): nothing is sent while the budget is spent, during a secondary limit, or
// while GitHub is known to be unreachable; those refusals are GitHubWait, with the time to wait for.
// Failures are classified honestly (network, timeout, 5xx, 401, an unreadable answer) as
// GitHubRequestFailed; a per-attempt timeout bounds every request.
import { setTimeout as delay } from 'node:timers/promises';
import { Octokit } from '@octokit/rest';
import * as languages from 'linguist-languages';
import type { SyncFailureKind } from '../../lib/github/sync-schedule.js';
import type { GitHubRequestOutcome } from '../../lib/metrics.js';
import type { GitHubBudget, RateLimitObservation, RateLimitResource, RequestPurpose } from './budget.js';

export interface RepositoryRef {
  owner: string;
  name: string;
}

export interface RepositoryData {
  /** As GitHub names it now (differs from what we asked after a rename or transfer). */
  owner: string;
  name: string;
  description: string | null;
  language: string | null;
  languageColor: string | null;
  stars: number;
  forks: number;
  topics: string[];
  pushedAt: Date | null;
  /**
   * The latest release (null: none), read by GraphQL at no extra cost; undefined from REST, where it
   * would cost a request per repository, so a REST sync leaves the stored release as it is.
   */
  latestRelease?: { tag: string; name: string | null; publishedAt: Date | null } | null;
}

export type RepositoryFetch = { kind: 'ok'; repository: RepositoryData; etag: string | null } | { kind: 'not_modified' } | { kind: 'gone' };
/** One repository of a GraphQL query: its data, gone, or an error GitHub gave for it alone. */
export type BatchEntry = RepositoryFetch | { kind: 'failed'; failure: GitHubRequestFailed };

/** How a request ended (linkpulse_github_requests_total{outcome}). */
export type RequestOutcome = GitHubRequestOutcome;

/** A request that failed: why, in words an operator and a creator can act on. */
export class GitHubRequestFailed extends Error {
  constructor(
    readonly kind: SyncFailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GitHubRequestFailed';
  }
}

export type WaitReason = 'rate_limited' | 'secondary_rate_limited' | 'unreachable';

/** Nothing may be sent before `until`: the limit is spent, a secondary limit, or GitHub is unreachable. */
export class GitHubWait extends Error {
  constructor(
    readonly reason: WaitReason,
    readonly until: Date,
  ) {
    super(`${reason === 'rate_limited' ? 'GitHub’s rate limit is spent' : reason === 'secondary_rate_limited' ? 'GitHub asked us to slow down' : 'GitHub is unreachable'} until ${until.toISOString()}`);
    this.name = 'GitHubWait';
  }
}

/** What a caller's requests cost, counted as they are sent. */
export interface RequestTally {
  requests: number;
  /** GraphQL points. */
  points: number;
}

export interface GitHubClient {
  /** GraphQL batches need a token. */
  readonly canBatch: boolean;
  /** Why a request of this kind would not be sent now (the breaker, the budget), or null. */
  blocked(api: 'rest' | 'graphql', purpose: RequestPurpose): Promise<GitHubWait | null>;
  /** Repositories per GraphQL query. */
  readonly batchSize: number;
  fetchRepository(repository: RepositoryRef & { etag: string | null }, purpose: RequestPurpose, tally: RequestTally): Promise<RepositoryFetch>;
  /** Entries in the order asked. */
  fetchRepositories(repositories: readonly RepositoryRef[], purpose: RequestPurpose, tally: RequestTally): Promise<BatchEntry[]>;
}

export interface GitHubClientOptions {
  /** GITHUB_API_URL: https://api.github.com, or a compatible server (tests, GitHub Enterprise's /api/v3). */
  baseUrl: string;
  /** GITHUB_TOKEN: needed for GraphQL; REST gets 5,000 requests an hour instead of 60. */
  token?: string | undefined;
  budget: GitHubBudget;
  /** Per attempt: REST 5 s, GraphQL 10 s (GitHub gives up on a query after 10 s itself). */
  timeoutMs?: number;
  graphqlTimeoutMs?: number;
  now?: () => number;
  /** Counts each request's outcome (the /metrics counter). */
  onRequest?: (outcome: RequestOutcome) => void;
  /** Consecutive unreachable outcomes (network, timeout, 5xx) that open the breaker. */
  breakerThreshold?: number;
  /** How long the breaker stays open at first; doubled while trials fail, at most 5 minutes. */
  breakerCooldownMs?: number;
}

const BATCH_SIZE = 100;
const TOPICS_PER_REPOSITORY = 20;
const MAX_BREAKER_COOLDOWN_MS = 5 * 60_000;
/** GitHub: without retry-after, wait at least a minute; longer for each secondary limit in a row. */
const SECONDARY_FALLBACK_MS = 60_000;
const MAX_SECONDARY_FALLBACK_MS = 15 * 60_000;
/** GitHub's reset is in whole seconds: waiting one more keeps a clock a little ahead from asking too soon (as budget.ts). */
const RESET_GRACE_MS = 1_000;

type Headers = Record<string, string | number | undefined>;
interface Answer {
  status: number;
  headers: Headers;
  data: unknown;
}

const colors = new Map(Object.entries(languages as unknown as Record<string, { color?: string }>).map(([name, language]) => [name, language.color ?? null]));

/** The error codes of a failure with no answer, through its causes (undici nests them). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 6 || value === null || typeof value !== 'object') return;
    const code = (value as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const nested = (value as { errors?: unknown }).errors;
    if (Array.isArray(nested)) for (const item of nested) visit(item, depth + 1);
    visit((value as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  return codes;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'UND_ERR_CONNECT_TIMEOUT', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

/** A failure with no HTTP answer: the attempt's own timeout, or the network. */
function unanswered(error: unknown, timedOut: boolean, timeoutMs: number): GitHubRequestFailed {
  if (timedOut) return new GitHubRequestFailed('timeout', `GitHub did not answer within ${timeoutMs / 1000} s`, { cause: error });
  const codes = errorCodes(error);
  const code = codes.find((candidate) => CONNECT_CODES.has(candidate));
  if (code) return new GitHubRequestFailed('network', `could not connect to GitHub (${code})`, { cause: error });
  const other = codes.find((candidate) => candidate !== 'ERR_INVALID_ARG_TYPE');
  return new GitHubRequestFailed('network', `the connection to GitHub failed before an answer (${other ?? 'closed'})`, { cause: error });
}

function rateLimitFrom(resource: RateLimitResource, headers: Headers): RateLimitObservation | undefined {
  const remaining = Number(headers['x-ratelimit-remaining']);
  const reset = Number(headers['x-ratelimit-reset']);
  if (headers['x-ratelimit-remaining'] === undefined || !Number.isFinite(remaining) || !Number.isFinite(reset)) return undefined;
  const limit = Number(headers['x-ratelimit-limit']);
  return { resource, quota: Number.isFinite(limit) && headers['x-ratelimit-limit'] !== undefined ? limit : null, remaining, resetAt: new Date(reset * 1000) };
}

function parseRestRepository(data: unknown): RepositoryData | undefined {
  const payload = data as { name?: unknown; owner?: { login?: unknown }; description?: unknown; language?: unknown; stargazers_count?: unknown; forks_count?: unknown; topics?: unknown; pushed_at?: unknown } | null;
  if (!payload || typeof payload.name !== 'string' || typeof payload.owner?.login !== 'string' || typeof payload.stargazers_count !== 'number' || typeof payload.forks_count !== 'number') return undefined;
  const language = typeof payload.language === 'string' ? payload.language : null;
  return {
    owner: payload.owner.login,
    name: payload.name,
    description: typeof payload.description === 'string' ? payload.description : null,
    language,
    languageColor: language ? (colors.get(language) ?? null) : null,
    stars: payload.stargazers_count,
    forks: payload.forks_count,
    topics: Array.isArray(payload.topics) ? payload.topics.filter((topic): topic is string => typeof topic === 'string') : [],
    pushedAt: typeof payload.pushed_at === 'string' ? new Date(payload.pushed_at) : null,
  };
}

interface GraphQLRepository {
  name: string;
  owner: { login: string };
  description: string | null;
  primaryLanguage: { name: string; color: string | null } | null;
  stargazerCount: number;
  forkCount: number;
  pushedAt: string | null;
  repositoryTopics: { nodes: { topic: { name: string } }[] };
  latestRelease: { tagName: string; name: string | null; publishedAt: string | null } | null;
}

function parseGraphQLRepository(node: unknown): RepositoryData | undefined {
  const repository = node as Partial<GraphQLRepository> | null;
  if (!repository || typeof repository.name !== 'string' || typeof repository.owner?.login !== 'string' || typeof repository.stargazerCount !== 'number' || typeof repository.forkCount !== 'number') {
    return undefined;
  }
  return {
    owner: repository.owner.login,
    name: repository.name,
    description: repository.description ?? null,
    language: repository.primaryLanguage?.name ?? null,
    languageColor: repository.primaryLanguage?.color ?? null,
    stars: repository.stargazerCount,
    forks: repository.forkCount,
    topics: (repository.repositoryTopics?.nodes ?? []).map((item) => item.topic.name),
    pushedAt: repository.pushedAt ? new Date(repository.pushedAt) : null,
    latestRelease:
      repository.latestRelease && typeof repository.latestRelease.tagName === 'string'
        ? {
            tag: repository.latestRelease.tagName.slice(0, 200),
            name: repository.latestRelease.name?.slice(0, 300) ?? null,
            publishedAt: repository.latestRelease.publishedAt ? new Date(repository.latestRelease.publishedAt) : null,
          }
        : null,
  };
}

/** The query for a batch: one aliased repository field per repository, and what the query cost. */
export function repositoryCardsQuery(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `$o${i}: String!, $n${i}: String!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `  r${i}: repository(owner: $o${i}, name: $n${i}) { ...Card }`).join('\n');
  return `query RepositoryCards(${variables}) {
  rateLimit { limit cost remaining resetAt }
${fields}
}
fragment Card on Repository {
  name
  owner { login }
  description
  primaryLanguage { name color }
  stargazerCount
  forkCount
  pushedAt
  repositoryTopics(first: ${TOPICS_PER_REPOSITORY}) { nodes { topic { name } } }
  latestRelease { tagName name publishedAt }
  isPrivate
}`;
}

/** GitHub's formula for that query: one repositoryTopics request per repository, / 100, rounded, at least 1. */
export function repositoryCardsCost(count: number): number {
  return Math.max(1, Math.round(count / 100));
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  // GitHub Enterprise serves REST at /api/v3 and GraphQL at /api/graphql; github.com at / and /graphql.
  const graphqlBaseUrl = baseUrl.replace(/\/api\/v3$/, '/api');
  const octokit = new Octokit({
    baseUrl,
    userAgent: 'linkpulse-github-sync',
    ...(options.token ? { auth: options.token } : {}),
    // Octokit's own logging of every 4xx would repeat what the sync records.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const now = options.now ?? Date.now;
  const restTimeoutMs = options.timeoutMs ?? 5_000;
  const graphqlTimeoutMs = options.graphqlTimeoutMs ?? options.timeoutMs ?? 10_000;
  const threshold = options.breakerThreshold ?? 6;
  const firstCooldown = options.breakerCooldownMs ?? 30_000;
  const { budget } = options;

  // The breaker: after `threshold` unreachable outcomes in a row nothing is sent for a cool-down; then
  // one failure more opens it again, for twice as long.
  let unreachableInARow = 0;
  let openUntil = 0;
  let cooldown = firstCooldown;
  let secondaryInARow = 0;
  let lastSecondaryAt = 0;

  const count = (outcome: RequestOutcome) => {
    options.onRequest?.(outcome);
    if (outcome === 'network' || outcome === 'timeout' || outcome === 'server_error') {
      unreachableInARow++;
      if (unreachableInARow >= threshold) {
        openUntil = now() + cooldown;
        cooldown = Math.min(cooldown * 2, MAX_BREAKER_COOLDOWN_MS);
        unreachableInARow = threshold - 1;
      }
    } else {
      unreachableInARow = 0;
      cooldown = firstCooldown;
    }
  };

  /** Takes the budget for one request, waiting out only what resolves within moments (a request in flight). */
  const acquire = async (resource: RateLimitResource, cost: number, purpose: RequestPurpose, timeoutMs: number): Promise<string> => {
    // Real time, not the injected clock: this waits for real requests in flight to come back. While
    // the budget is unknown and answers fail, the waiters probe one after another (a REST run has 4).
    const giveUpAt = Date.now() + 4 * timeoutMs + 1_000;
    for (;;) {
      if (openUntil > now()) throw new GitHubWait('unreachable', new Date(openUntil));
      const decision = await budget.acquire(resource, cost, purpose);
      if (decision.granted) return decision.lease;
      if (decision.reason === 'rate_limited' || decision.reason === 'secondary_rate_limited') throw new GitHubWait(decision.reason, decision.until);
      // Another request is learning the budget, or holds the last of it: its answer comes within its timeout.
      if (Date.now() >= giveUpAt) throw new GitHubWait('unreachable', new Date(now() + 1_000));
      await delay(Math.max(5, Math.min(50, decision.until.getTime() - now())));
    }
  };

  /** A refusal for a limit: records it for every worker and process, and says how long to wait. */
  const refusal = async (answer: Answer, observed: RateLimitObservation | undefined): Promise<GitHubWait> => {
    const retryAfter = Number(answer.headers['retry-after']);
    const message = JSON.stringify(answer.data ?? '');
    const secondary = Number.isFinite(retryAfter) || /secondary rate limit|abuse/i.test(message) || observed?.remaining !== 0;
    if (!secondary) {
      count('rate_limited');
      return new GitHubWait('rate_limited', new Date(observed.resetAt.getTime() + RESET_GRACE_MS));
    }
    count('secondary_rate_limited');
    secondaryInARow = now() - lastSecondaryAt < MAX_SECONDARY_FALLBACK_MS ? secondaryInARow + 1 : 1;
    lastSecondaryAt = now();
    const waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Math.min(SECONDARY_FALLBACK_MS * 2 ** (secondaryInARow - 1), MAX_SECONDARY_FALLBACK_MS);
    const until = new Date(now() + waitMs);
    await budget.pause(until);
    return new GitHubWait('secondary_rate_limited', until);
  };

  /** One HTTP exchange: an answer with any status, or a failure with none. */
  const exchange = async (request: (signal: AbortSignal) => Promise<{ status: number; headers: Headers; data: unknown }>, timeoutMs: number): Promise<Answer> => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await request(signal);
      return { status: response.status, headers: response.headers, data: response.data };
    } catch (error) {
      const response = (error as { response?: { status?: number; headers?: Headers; data?: unknown } }).response;
      // Octokit throws for every status from 300 up, and reports a failure with no answer as "500".
      if (response && typeof response.status === 'number') return { status: response.status, headers: response.headers ?? {}, data: response.data };
      throw unanswered(error, signal.aborted, timeoutMs);
    }
  };

  const failFor = (status: number): GitHubRequestFailed =>
    status === 401 ? new GitHubRequestFailed('unauthorized', 'GitHub refused the token (401): check GITHUB_TOKEN') : new GitHubRequestFailed('server_error', `GitHub answered ${status}`);

  return {
    canBatch: Boolean(options.token),
    batchSize: BATCH_SIZE,

    async blocked(api, purpose) {
      if (openUntil > now()) return new GitHubWait('unreachable', new Date(openUntil));
      const wait = await budget.blocked(api === 'rest' ? 'core' : 'graphql', api === 'rest' ? 1 : repositoryCardsCost(BATCH_SIZE), purpose);
      return wait ? new GitHubWait(wait.reason, wait.until) : null;
    },

    async fetchRepository(repository, purpose, tally) {
      const lease = await acquire('core', 1, purpose, restTimeoutMs);
      let observed: RateLimitObservation | undefined;
      try {
        tally.requests++;
        let answer: Answer;
        try {
          answer = await exchange(
            (signal) =>
              octokit.request('GET /repos/{owner}/{repo}', {
                owner: repository.owner,
                repo: repository.name,
                headers: repository.etag ? { 'if-none-match': repository.etag } : {},
                request: { signal },
              }),
            restTimeoutMs,
          );
        } catch (error) {
          if (error instanceof GitHubRequestFailed) count(error.kind);
          throw error;
        }
        observed = rateLimitFrom('core', answer.headers);
        const { status } = answer;
        if (status === 304) {
          count('not_modified');
          return { kind: 'not_modified' };
        }
        // Deleted, made private (invisible to us), or blocked for legal reasons.
        if (status === 404 || status === 410 || status === 451) {
          count('not_found');
          return { kind: 'gone' };
        }
        if (status === 403 || status === 429) {
          const remainingZero = observed?.remaining === 0;
          const message = JSON.stringify(answer.data ?? '');
          if (remainingZero || answer.headers['retry-after'] !== undefined || /rate limit|abuse/i.test(message)) throw await refusal(answer, observed);
          // A 403 that is no limit: the repository is blocked (GitHub says "Repository access blocked").
          count('not_found');
          return { kind: 'gone' };
        }
        if (status >= 200 && status < 300) {
          const data = parseRestRepository(answer.data);
          if (!data) {
            count('bad_response');
            throw new GitHubRequestFailed('bad_response', 'GitHub’s answer was not a repository');
          }
          count('ok');
          // A repository private to the operator's token: never shown on a public page.
          if ((answer.data as { private?: unknown } | null)?.private === true) return { kind: 'gone' };
          return { kind: 'ok', etag: typeof answer.headers.etag === 'string' ? answer.headers.etag : null, repository: data };
        }
        const failure = status >= 500 || status === 401 ? failFor(status) : new GitHubRequestFailed('bad_response', `GitHub answered ${status}`);
        count(failure.kind);
        throw failure;
      } finally {
        await budget.settle(lease, 'core', observed);
      }
    },

    async fetchRepositories(repositories, purpose, tally) {
      if (!options.token) throw new Error('GitHub’s GraphQL API needs a token (GITHUB_TOKEN)');
      if (repositories.length === 0) return [];
      if (repositories.length > BATCH_SIZE) throw new Error(`at most ${BATCH_SIZE} repositories per query`);
      const cost = repositoryCardsCost(repositories.length);
      const lease = await acquire('graphql', cost, purpose, graphqlTimeoutMs);
      let observed: RateLimitObservation | undefined;
      try {
        tally.requests++;
        const variables = Object.fromEntries(repositories.flatMap((repository, i) => [[`o${i}`, repository.owner], [`n${i}`, repository.name]]));
        let answer: Answer;
        try {
          answer = await exchange(
            (signal) =>
              octokit.request('POST /graphql', {
                baseUrl: graphqlBaseUrl,
                query: repositoryCardsQuery(repositories.length),
                variables,
                request: { signal },
              }) as Promise<Answer>,
            graphqlTimeoutMs,
          );
        } catch (error) {
          if (error instanceof GitHubRequestFailed) count(error.kind);
          throw error;
        }
        observed = rateLimitFrom('graphql', answer.headers);
        const body = (answer.data ?? {}) as { data?: Record<string, unknown> | null; errors?: { type?: string; path?: unknown[]; message?: string }[] };
        const errors = Array.isArray(body.errors) ? body.errors : [];
        const limited = errors.some((error) => error.type === 'RATE_LIMITED' || error.type === 'RATE_LIMIT');
        if (limited) {
          // GitHub answers a spent GraphQL limit with 200 (sometimes 403) and this error.
          observed = { resource: 'graphql', quota: observed?.quota ?? null, remaining: 0, resetAt: observed?.resetAt ?? new Date(now() + 3_600_000) };
          count('rate_limited');
          throw new GitHubWait('rate_limited', new Date(observed.resetAt.getTime() + RESET_GRACE_MS));
        }
        if (answer.status === 403 || answer.status === 429) throw await refusal(answer, observed);
        if (answer.status !== 200) {
          const failure = answer.status >= 500 || answer.status === 401 ? failFor(answer.status) : new GitHubRequestFailed('bad_response', `GitHub answered ${answer.status}`);
          count(failure.kind);
          throw failure;
        }
        const data = body.data;
        if (!data || typeof data !== 'object') {
          count('bad_response');
          throw new GitHubRequestFailed('bad_response', `GitHub’s GraphQL answer had no data${errors[0]?.message ? `: ${errors[0].message.slice(0, 120)}` : ''}`);
        }
        const rateLimit = data.rateLimit as { limit?: number; cost?: number; remaining?: number; resetAt?: string } | undefined;
        if (rateLimit && typeof rateLimit.remaining === 'number' && typeof rateLimit.resetAt === 'string') {
          observed = { resource: 'graphql', quota: rateLimit.limit ?? observed?.quota ?? null, remaining: rateLimit.remaining, resetAt: new Date(rateLimit.resetAt) };
        }
        tally.points += typeof rateLimit?.cost === 'number' ? rateLimit.cost : cost;
        count('ok');
        const errorOf = (alias: string) => errors.find((error) => Array.isArray(error.path) && error.path[0] === alias);
        return repositories.map((_, i): BatchEntry => {
          const node = data[`r${i}`];
          if (node === null || node === undefined) {
            const error = errorOf(`r${i}`);
            // NOT_FOUND: deleted, private or renamed away without a redirect; FORBIDDEN: blocked.
            if (!error || error.type === 'NOT_FOUND' || error.type === 'FORBIDDEN') return { kind: 'gone' };
            return { kind: 'failed', failure: new GitHubRequestFailed('bad_response', `GitHub could not give this repository (${error.type ?? 'error'})`) };
          }
          // A repository private to the operator's token: never shown on a public page.
          if ((node as { isPrivate?: unknown }).isPrivate === true) return { kind: 'gone' };
          const repository = parseGraphQLRepository(node);
          if (!repository) return { kind: 'failed', failure: new GitHubRequestFailed('bad_response', 'GitHub’s answer was not a repository') };
          return { kind: 'ok', etag: null, repository };
        });
      } finally {
        await budget.settle(lease, 'graphql', observed);
      }
    },
  };
}
