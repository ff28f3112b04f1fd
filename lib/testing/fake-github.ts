// A GitHub-compatible REST server for tests, in-process: GET /repos/{owner}/{repo} and
// GET /repositories/{id}, answered with GitHub's real recorded payload and headers (@octokit/fixtures:
// get-repository, and rename-repository's 301), rewritten for each repository. It keeps ETags
// (If-None-Match → 304, free of the rate limit, as on GitHub), a primary rate limit with a reset
// time, and faults a test can switch on: primary-limit exhaustion, secondary limits with
// retry-after, 502/503 bursts, slow answers, renames (301) and deletions (404).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import fixtures from '@octokit/fixtures';

interface RecordedExchange {
  method: string;
  path: string;
  status: number;
  response: Record<string, unknown>;
  headers: Record<string, string | number>;
}

const [recordedRepository] = fixtures.get('api.github.com/get-repository') as RecordedExchange[];
const recordedMove = (fixtures.get('api.github.com/rename-repository') as RecordedExchange[]).find((exchange) => exchange.status === 301)!;
/** Headers every answer carries, as GitHub sent them (minus the ones each answer sets itself). */
const BASE_HEADERS = Object.fromEntries(
  Object.entries(recordedRepository!.headers).filter(([name]) => !/^(content-length|etag|last-modified|date|x-ratelimit-|connection|x-oauth-scopes|x-accepted-oauth-scopes)/.test(name)),
);

export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  description: string | null;
  language: string | null;
  stars: number;
  forks: number;
  topics: string[];
  pushedAt: string;
}

export interface Faults {
  /** Share of requests answered 502 or 503 (seeded, reproducible). */
  transientRate: number;
  /** Delay before every answer. */
  slowMs: number;
  /** The next N requests get a secondary limit: 403 with retry-after. */
  secondaryLimitRequests: number;
  secondaryRetryAfterSeconds: number;
}

export interface FakeRequest {
  at: number;
  path: string;
  status: number;
}

export interface FakeGitHub {
  url: string;
  requests: FakeRequest[];
  faults: Faults;
  add(repository: Omit<FakeRepository, 'id'>): FakeRepository;
  update(owner: string, name: string, changes: Partial<Omit<FakeRepository, 'id' | 'owner' | 'name'>>): void;
  /** owner/name answers 301 to the repository's new place from now on. */
  rename(owner: string, name: string, to: { owner: string; name: string }): void;
  remove(owner: string, name: string): void;
  /** Spends the primary limit until resetInMs from now. */
  exhaust(resetInMs: number): void;
  rateLimit(): { limit: number; remaining: number; resetAt: number };
  close(): Promise<void>;
}

const key = (owner: string, name: string) => `${owner}/${name}`.toLowerCase();

export async function startFakeGitHub(options: { limit?: number; windowMs?: number; seed?: number } = {}): Promise<FakeGitHub> {
  const limit = options.limit ?? 5000;
  const windowMs = options.windowMs ?? 3_600_000;
  let remaining = limit;
  let resetAt = Date.now() + windowMs;
  let seed = options.seed ?? 1;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const byId = new Map<number, FakeRepository>();
  const byName = new Map<string, number>();
  const moved = new Map<string, number>();
  let nextId = 1000;
  const requests: FakeRequest[] = [];
  const faults: Faults = { transientRate: 0, slowMs: 0, secondaryLimitRequests: 0, secondaryRetryAfterSeconds: 1 };
  let url = '';

  const rateHeaders = () => ({
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-used': String(limit - remaining),
    'x-ratelimit-reset': String(Math.ceil(resetAt / 1000)),
    'x-ratelimit-resource': 'core',
  });
  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    response.writeHead(status, { ...BASE_HEADERS, ...rateHeaders(), date: new Date().toUTCString(), ...headers, ...(payload ? { 'content-length': String(Buffer.byteLength(payload)) } : {}) });
    response.end(payload);
  };
  const payloadOf = (repository: FakeRepository) => {
    const recorded = recordedRepository!.response;
    const fullName = `${repository.owner}/${repository.name}`;
    return {
      ...recorded,
      id: repository.id,
      name: repository.name,
      full_name: fullName,
      owner: { ...(recorded.owner as object), login: repository.owner },
      html_url: `https://github.com/${fullName}`,
      url: `${url}/repos/${fullName}`,
      description: repository.description,
      language: repository.language,
      stargazers_count: repository.stars,
      watchers_count: repository.stars,
      forks_count: repository.forks,
      forks: repository.forks,
      topics: repository.topics,
      pushed_at: repository.pushedAt,
    };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ at: Date.now(), path, status });
      send(response, status, body, headers);
    };
    if (faults.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.slowMs));
    if (Date.now() >= resetAt) {
      remaining = limit;
      resetAt = Date.now() + windowMs;
    }
    if (remaining <= 0) {
      return answer(403, { message: 'API rate limit exceeded for 127.0.0.1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' });
    }
    if (faults.secondaryLimitRequests > 0) {
      faults.secondaryLimitRequests--;
      return answer(
        403,
        { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
        { 'retry-after': String(faults.secondaryRetryAfterSeconds) },
      );
    }
    if (faults.transientRate > 0 && random() < faults.transientRate) {
      const status = random() < 0.5 ? 502 : 503;
      requests.push({ at: Date.now(), path, status });
      response.writeHead(status, { 'content-type': 'text/html' });
      return response.end('<html><body><h1>Server Error</h1></body></html>');
    }

    const byPath = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    const byRepositoryId = /^\/repositories\/(\d+)$/.exec(path);
    let id: number | undefined;
    if (byPath) {
      const wanted = key(decodeURIComponent(byPath[1]!), decodeURIComponent(byPath[2]!));
      id = byName.get(wanted);
      const movedTo = moved.get(wanted);
      if (id === undefined && movedTo !== undefined && byId.has(movedTo)) {
        remaining--;
        const location = `${url}/repositories/${movedTo}`;
        return answer(301, { ...recordedMove.response, url: location }, { location });
      }
    } else if (byRepositoryId) {
      id = Number(byRepositoryId[1]);
    }
    const repository = id === undefined ? undefined : byId.get(id);
    if (!repository) {
      remaining--;
      return answer(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository', status: '404' });
    }
    const body = payloadOf(repository);
    const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32)}"`;
    if (request.headers['if-none-match'] === etag) return answer(304, undefined, { etag });
    remaining--;
    return answer(200, body, { etag, 'last-modified': new Date(repository.pushedAt).toUTCString() });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    requests,
    faults,
    add(repository) {
      const stored = { ...repository, id: nextId++ };
      byId.set(stored.id, stored);
      byName.set(key(stored.owner, stored.name), stored.id);
      return stored;
    },
    update(owner, name, changes) {
      const id = byName.get(key(owner, name));
      if (id !== undefined) Object.assign(byId.get(id)!, changes);
    },
    rename(owner, name, to) {
      const id = byName.get(key(owner, name));
      if (id === undefined) return;
      byName.delete(key(owner, name));
      moved.set(key(owner, name), id);
      Object.assign(byId.get(id)!, to);
      byName.set(key(to.owner, to.name), id);
    },
    remove(owner, name) {
      const id = byName.get(key(owner, name));
      if (id === undefined) return;
      byName.delete(key(owner, name));
      byId.delete(id);
    },
    exhaust(resetInMs) {
      remaining = 0;
      resetAt = Date.now() + resetInMs;
    },
    rateLimit: () => ({ limit, remaining, resetAt }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
