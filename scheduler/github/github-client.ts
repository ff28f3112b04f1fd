// One GitHub REST call: GET /repos/{owner}/{repo}, conditional on the ETag we stored (a 304 costs
// nothing of the primary rate limit). Why REST and not GraphQL: it works without a token (GraphQL
// needs one), unchanged repositories are free, and renames (301, followed) and deletions (404) come
// back as plain statuses. The cost is one request per repository per run instead of one per 100
// (README: GitHub sync).
//
// Every answer reports the rate-limit headers; refusals are typed so the sync can wait as told:
// RateLimited (primary limit spent: wait until its reset), SecondaryRateLimited (wait retry-after),
// TransientGitHubError (5xx, timeouts, network: retry with backoff).
import { Octokit } from '@octokit/rest';
import * as languages from 'linguist-languages';

export interface RateLimit {
  remaining: number;
  /** When the window resets. */
  resetAt: Date;
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
}

export type RepositoryFetch = { kind: 'ok'; repository: RepositoryData; etag: string | null } | { kind: 'not_modified' } | { kind: 'gone' };

export class RateLimited extends Error {
  constructor(readonly resetAt: Date) {
    super(`GitHub's rate limit is spent until ${resetAt.toISOString()}`);
    this.name = 'RateLimited';
  }
}

export class SecondaryRateLimited extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`GitHub asked to retry after ${Math.round(retryAfterMs / 1000)} s`);
    this.name = 'SecondaryRateLimited';
  }
}

export class TransientGitHubError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientGitHubError';
  }
}

export interface GitHubClient {
  fetchRepository(owner: string, name: string, etag: string | null): Promise<RepositoryFetch>;
  /** The last rate-limit headers seen, if any. */
  rateLimit(): RateLimit | undefined;
}

export interface GitHubClientOptions {
  /** GITHUB_API_URL: https://api.github.com, or a compatible server (tests, GitHub Enterprise). */
  baseUrl: string;
  /** GITHUB_TOKEN: 5,000 requests an hour instead of 60. */
  token?: string | undefined;
  timeoutMs?: number;
}

type Headers = Record<string, string | number | undefined>;

const colors = new Map(Object.entries(languages as unknown as Record<string, { color?: string }>).map(([name, language]) => [name, language.color ?? null]));

interface RepositoryPayload {
  name: string;
  owner: { login: string };
  description: string | null;
  language: string | null;
  stargazers_count: number;
  forks_count: number;
  topics?: string[];
  pushed_at: string | null;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const octokit = new Octokit({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'linkpulse-github-sync',
    ...(options.token ? { auth: options.token } : {}),
    // Octokit's own logging of every 4xx would repeat what the sync records.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const timeoutMs = options.timeoutMs ?? 10_000;
  let lastRateLimit: RateLimit | undefined;

  const remember = (headers: Headers | undefined) => {
    const remaining = Number(headers?.['x-ratelimit-remaining']);
    const reset = Number(headers?.['x-ratelimit-reset']);
    if (Number.isFinite(remaining) && Number.isFinite(reset)) lastRateLimit = { remaining, resetAt: new Date(reset * 1000) };
  };

  return {
    rateLimit: () => lastRateLimit,
    async fetchRepository(owner, name, etag) {
      try {
        const response = await octokit.request('GET /repos/{owner}/{repo}', {
          owner,
          repo: name,
          headers: etag ? { 'if-none-match': etag } : {},
          request: { signal: AbortSignal.timeout(timeoutMs) },
        });
        remember(response.headers);
        const data = response.data as unknown as RepositoryPayload;
        return {
          kind: 'ok',
          etag: typeof response.headers.etag === 'string' ? response.headers.etag : null,
          repository: {
            owner: data.owner.login,
            name: data.name,
            description: data.description,
            language: data.language,
            languageColor: data.language ? (colors.get(data.language) ?? null) : null,
            stars: data.stargazers_count,
            forks: data.forks_count,
            topics: data.topics ?? [],
            pushedAt: data.pushed_at ? new Date(data.pushed_at) : null,
          },
        };
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        const headers = (error as { response?: { headers?: Headers } }).response?.headers;
        remember(headers);
        if (status === 304) return { kind: 'not_modified' };
        // Deleted, made private (invisible to us), or blocked for legal reasons.
        if (status === 404 || status === 451) return { kind: 'gone' };
        if (status === 403 || status === 429) {
          const retryAfter = Number(headers?.['retry-after']);
          if (Number.isFinite(retryAfter)) throw new SecondaryRateLimited(retryAfter * 1000);
          if (Number(headers?.['x-ratelimit-remaining']) === 0 && lastRateLimit) throw new RateLimited(lastRateLimit.resetAt);
          // GitHub's documented fallback for a secondary limit without retry-after: wait a minute.
          throw new SecondaryRateLimited(60_000);
        }
        if (typeof status === 'number' && status >= 500) throw new TransientGitHubError(`GitHub answered ${status}`, { cause: error });
        if (typeof status !== 'number') {
          // No status: a timeout or a network failure.
          throw new TransientGitHubError(error instanceof Error ? error.message : 'request failed', { cause: error });
        }
        throw error;
      }
    },
  };
}
