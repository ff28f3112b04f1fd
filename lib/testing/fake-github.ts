// A GitHub stand-in for tests, benchmarks and the e2e journey, in-process, speaking both APIs the sync
// uses:
// - REST: GET /repos/{owner}/{repo} and GET /repositories/{id}, answered with GitHub's real recorded
//   payload and headers (@octokit/fixtures: get-repository, and rename-repository's 301), rewritten
//   for each repository; ETags (If-None-Match → 304, free of the rate limit, as on GitHub).
// - GraphQL: POST /graphql with `repository(owner:, name:)` (aliases, fragments, variables) and
//   `rateLimit { limit cost remaining resetAt }`, charging points as GitHub documents
//   (fake-github-graphql.ts); a token is required, as on GitHub. A deleted repository comes back null
//   with an error of type NOT_FOUND; a renamed one resolves to its new nameWithOwner.
// Each API has its own primary limit (x-ratelimit-resource core / graphql) over a window on the
// fake's clock (injectable, so a test can run a simulated day), and faults a test switches on:
// exhaustion, secondary limits (a window during which every request is refused, with or without
// retry-after), 502/503 answers, connections dropped without an answer, answers that never come
// (timeouts), slow answers, renames and deletions. It counts what a client must never do: requests
// while a limit is spent, and requests during a secondary limit.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import fixtures from '@octokit/fixtures';
import { costOf, fieldsOf, GraphQLSyntaxError, parseGraphQL, resolveValue, type GraphQLField } from './fake-github-graphql.js';

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
/** GitHub's colours of the languages tests use (linguist). */
const LANGUAGE_COLORS: Record<string, string> = { TypeScript: '#3178c6', JavaScript: '#f1e05a', Go: '#00ADD8', Rust: '#dea584', Python: '#3572A5' };

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
  /** Visible to the token only (GitHub answers it to a token that may read it). */
  private?: boolean;
  /** The latest release, if any (GraphQL's latestRelease). */
  latestRelease?: { tagName: string; name: string | null; publishedAt: string } | null;
}

export type FakeApi = 'rest' | 'graphql';

export interface Faults {
  /** Share of requests answered 502 or 503 (seeded, reproducible). */
  transientRate: number;
  /** Share of requests whose connection is dropped without an answer (a reset). */
  networkFailureRate: number;
  /** Share of requests never answered (the client's timeout decides); the connection closes after `hangMs`. */
  timeoutRate: number;
  hangMs: number;
  /** Delay before every answer. */
  slowMs: number;
  /** The next N requests get a secondary limit: 403 with retry-after (secondaryRetryAfterSeconds). */
  secondaryLimitRequests: number;
  secondaryRetryAfterSeconds: number;
}

export interface SecondaryLimitOptions {
  /** Requests answered normally before the limit starts (the next one is refused and starts it). */
  afterRequests?: number;
  /** How long every request is refused. */
  seconds: number;
  /** Whether refusals carry retry-after (GitHub sometimes sends none: clients must wait a minute). */
  retryAfter?: boolean;
}

export interface FakeRequest {
  /** On the fake's clock. */
  at: number;
  api: FakeApi;
  path: string;
  /** 0 when no answer was sent (see fault). */
  status: number;
  /** GraphQL: points charged. */
  points?: number;
  /** An injected fault with no answer: never answered (a timeout), or the connection dropped. */
  fault?: 'timeout' | 'dropped';
}

/** One repository a request answered for (REST 200/304/404, or one alias of a GraphQL query). */
export interface FakeServed {
  at: number;
  api: FakeApi;
  /** As the client asked for it. */
  asked: string;
  /** The repository's id, when it exists. */
  id: number | null;
  result: 'ok' | 'not_modified' | 'not_found';
}

export interface FakeRateLimit {
  limit: number;
  remaining: number;
  resetAt: number;
}

export interface FakeGitHub {
  url: string;
  requests: FakeRequest[];
  served: FakeServed[];
  faults: Faults;
  /** Requests that arrived while their API's limit was spent (before its reset). */
  readonly requestsWhileExhausted: number;
  /** Requests that arrived during a secondary limit (after the one that started it). */
  readonly requestsDuringSecondaryLimit: number;
  /** Whether a limit ever reached 0. */
  readonly everExhausted: boolean;
  add(repository: Omit<FakeRepository, 'id'>): FakeRepository;
  update(owner: string, name: string, changes: Partial<Omit<FakeRepository, 'id' | 'owner' | 'name'>>): void;
  /** owner/name answers 301 (REST) or resolves to the new name (GraphQL) from now on. */
  rename(owner: string, name: string, to: { owner: string; name: string }): void;
  remove(owner: string, name: string): void;
  /** Spends a primary limit until resetInMs from now (another application on the same token). */
  exhaust(resetInMs: number, api?: FakeApi): void;
  /** Starts a secondary limit (see SecondaryLimitOptions). */
  secondaryLimit(options: SecondaryLimitOptions): void;
  rateLimit(api?: FakeApi): FakeRateLimit;
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  /** REST's limit per window (core). */
  limit?: number;
  windowMs?: number;
  /** GraphQL's points per window. */
  graphqlLimit?: number;
  graphqlWindowMs?: number;
  /** Seeds the fault dice. */
  seed?: number;
  /** The fake's clock (windows, resets, timestamps); Date.now unless given. */
  now?: () => number;
  /** How a spent GraphQL limit is answered: 200 with errors (GitHub's usual) or 403. */
  graphqlRateLimitStatus?: 200 | 403;
}

const key = (owner: string, name: string) => `${owner}/${name}`.toLowerCase();

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const now = options.now ?? Date.now;
  const buckets: Record<FakeApi, FakeRateLimit & { windowMs: number }> = {
    rest: { limit: options.limit ?? 5000, remaining: options.limit ?? 5000, resetAt: now() + (options.windowMs ?? 3_600_000), windowMs: options.windowMs ?? 3_600_000 },
    graphql: {
      limit: options.graphqlLimit ?? 5000,
      remaining: options.graphqlLimit ?? 5000,
      resetAt: now() + (options.graphqlWindowMs ?? 3_600_000),
      windowMs: options.graphqlWindowMs ?? 3_600_000,
    },
  };
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
  const served: FakeServed[] = [];
  const faults: Faults = { transientRate: 0, networkFailureRate: 0, timeoutRate: 0, hangMs: 30_000, slowMs: 0, secondaryLimitRequests: 0, secondaryRetryAfterSeconds: 1 };
  let secondary: (SecondaryLimitOptions & { countdown: number; until?: number }) | undefined;
  let requestsWhileExhausted = 0;
  let requestsDuringSecondaryLimit = 0;
  let everExhausted = false;
  let url = '';

  const bucket = (api: FakeApi) => {
    const current = buckets[api];
    if (now() >= current.resetAt) {
      current.remaining = current.limit;
      current.resetAt = now() + current.windowMs;
    }
    return current;
  };
  const spend = (api: FakeApi, cost: number) => {
    const current = bucket(api);
    current.remaining = Math.max(0, current.remaining - cost);
    if (current.remaining === 0) everExhausted = true;
  };
  const rateHeaders = (api: FakeApi) => {
    const current = bucket(api);
    return {
      'x-ratelimit-limit': String(current.limit),
      'x-ratelimit-remaining': String(current.remaining),
      'x-ratelimit-used': String(current.limit - current.remaining),
      'x-ratelimit-reset': String(Math.ceil(current.resetAt / 1000)),
      'x-ratelimit-resource': api === 'rest' ? 'core' : 'graphql',
    };
  };
  const send = (response: ServerResponse, api: FakeApi, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const payload = body === undefined ? '' : JSON.stringify(body);
    response.writeHead(status, {
      ...BASE_HEADERS,
      ...rateHeaders(api),
      date: new Date(now()).toUTCString(),
      ...headers,
      ...(payload ? { 'content-length': String(Buffer.byteLength(payload)) } : {}),
    });
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
      private: repository.private ?? false,
      visibility: repository.private ? 'private' : 'public',
    };
  };
  const find = (owner: string, name: string): FakeRepository | undefined => {
    const wanted = key(owner, name);
    const id = byName.get(wanted) ?? moved.get(wanted);
    return id === undefined ? undefined : byId.get(id);
  };

  /** Faults that apply before any API logic; true when the request was dealt with. */
  const injectFault = async (request: IncomingMessage, response: ServerResponse, api: FakeApi, path: string): Promise<boolean> => {
    // Secondary limits: decided on arrival (a request already accepted is answered normally).
    if (secondary) {
      if (secondary.until !== undefined && now() < secondary.until) {
        requestsDuringSecondaryLimit++;
        refuseSecondary(response, api, path, Math.ceil((secondary.until - now()) / 1000), secondary.retryAfter !== false);
        return true;
      }
      if (secondary.until !== undefined) {
        secondary = undefined;
      } else if (secondary.countdown-- <= 0) {
        secondary.until = now() + secondary.seconds * 1000;
        refuseSecondary(response, api, path, secondary.seconds, secondary.retryAfter !== false);
        return true;
      }
    }
    if (faults.secondaryLimitRequests > 0) {
      faults.secondaryLimitRequests--;
      refuseSecondary(response, api, path, faults.secondaryRetryAfterSeconds, true);
      return true;
    }
    const dice = random();
    if (faults.timeoutRate > 0 && dice < faults.timeoutRate) {
      requests.push({ at: now(), api, path, status: 0, fault: 'timeout' });
      // Never answered: the client gives up first (its timeout), or the connection closes later.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, faults.hangMs);
        request.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      request.socket.destroy();
      return true;
    }
    if (faults.networkFailureRate > 0 && dice < faults.timeoutRate + faults.networkFailureRate) {
      requests.push({ at: now(), api, path, status: 0, fault: 'dropped' });
      request.socket.destroy();
      return true;
    }
    if (faults.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.slowMs));
    if (faults.transientRate > 0 && random() < faults.transientRate) {
      const status = random() < 0.5 ? 502 : 503;
      requests.push({ at: now(), api, path, status });
      if (api === 'graphql') {
        send(response, api, status, { data: null, errors: [{ message: 'Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.' }] });
      } else {
        response.writeHead(status, { 'content-type': 'text/html' });
        response.end('<html><body><h1>Server Error</h1></body></html>');
      }
      return true;
    }
    return false;
  };
  const refuseSecondary = (response: ServerResponse, api: FakeApi, path: string, retryAfterSeconds: number, withRetryAfter: boolean) => {
    requests.push({ at: now(), api, path, status: 403 });
    send(
      response,
      api,
      403,
      { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits' },
      withRetryAfter ? { 'retry-after': String(retryAfterSeconds) } : {},
    );
  };

  const handleRest = (response: ServerResponse, path: string, ifNoneMatch: string | undefined) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ at: now(), api: 'rest', path, status });
      send(response, 'rest', status, body, headers);
    };
    if (bucket('rest').remaining <= 0) {
      requestsWhileExhausted++;
      return answer(403, { message: 'API rate limit exceeded for 127.0.0.1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' });
    }
    const byPath = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    const byRepositoryId = /^\/repositories\/(\d+)$/.exec(path);
    let id: number | undefined;
    let asked = path;
    if (byPath) {
      asked = `${decodeURIComponent(byPath[1]!)}/${decodeURIComponent(byPath[2]!)}`;
      const wanted = asked.toLowerCase();
      id = byName.get(wanted);
      const movedTo = moved.get(wanted);
      if (id === undefined && movedTo !== undefined && byId.has(movedTo)) {
        spend('rest', 1);
        const location = `${url}/repositories/${movedTo}`;
        return answer(301, { ...recordedMove.response, url: location }, { location });
      }
    } else if (byRepositoryId) {
      id = Number(byRepositoryId[1]);
    }
    const repository = id === undefined ? undefined : byId.get(id);
    if (!repository) {
      spend('rest', 1);
      served.push({ at: now(), api: 'rest', asked, id: null, result: 'not_found' });
      return answer(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository', status: '404' });
    }
    const body = payloadOf(repository);
    const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32)}"`;
    if (ifNoneMatch === etag) {
      served.push({ at: now(), api: 'rest', asked, id: repository.id, result: 'not_modified' });
      return answer(304, undefined, { etag });
    }
    spend('rest', 1);
    served.push({ at: now(), api: 'rest', asked, id: repository.id, result: 'ok' });
    return answer(200, body, { etag, 'last-modified': new Date(repository.pushedAt).toUTCString() });
  };

  const repositoryNode = (repository: FakeRepository, field: GraphQLField, fragments: Parameters<typeof fieldsOf>[1], variables: Record<string, unknown>) => {
    const node: Record<string, unknown> = {};
    for (const child of fieldsOf(field.selections, fragments)) {
      const value = (() => {
        switch (child.name) {
          case 'name':
            return repository.name;
          case 'nameWithOwner':
            return `${repository.owner}/${repository.name}`;
          case 'owner':
            return { login: repository.owner };
          case 'databaseId':
            return repository.id;
          case 'description':
            return repository.description;
          case 'primaryLanguage':
            return repository.language ? Object.fromEntries(fieldsOf(child.selections, fragments).map((f) => [f.alias, f.name === 'color' ? (LANGUAGE_COLORS[repository.language!] ?? null) : repository.language])) : null;
          case 'stargazerCount':
            return repository.stars;
          case 'forkCount':
            return repository.forks;
          case 'pushedAt':
            return repository.pushedAt;
          case 'url':
            return `https://github.com/${repository.owner}/${repository.name}`;
          case 'isPrivate':
            return repository.private ?? false;
          case 'latestRelease':
            return repository.latestRelease
              ? Object.fromEntries(fieldsOf(child.selections, fragments).map((f) => [f.alias, repository.latestRelease![f.name as 'tagName' | 'name' | 'publishedAt'] ?? null]))
              : null;
          case 'repositoryTopics': {
            const first = Number(resolveValue(child.args.first, variables) ?? 100);
            const topics = repository.topics.slice(0, first).map((name) => ({ topic: { name } }));
            return { nodes: topics, totalCount: repository.topics.length };
          }
          default:
            return null;
        }
      })();
      node[child.alias] = value;
    }
    return node;
  };

  const handleGraphQL = async (request: IncomingMessage, response: ServerResponse, path: string) => {
    const answer = (status: number, body: unknown, points?: number, headers: Record<string, string> = {}) => {
      requests.push({ at: now(), api: 'graphql', path, status, ...(points === undefined ? {} : { points }) });
      send(response, 'graphql', status, body, headers);
    };
    if (!request.headers.authorization) {
      return answer(401, { message: 'This endpoint requires you to be authenticated.', documentation_url: 'https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql' });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let body: { query?: unknown; variables?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
    } catch {
      return answer(400, { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/graphql' });
    }
    const variables = (body.variables && typeof body.variables === 'object' ? body.variables : {}) as Record<string, unknown>;
    let document;
    let cost;
    try {
      if (typeof body.query !== 'string') throw new GraphQLSyntaxError('A query attribute must be specified and must be a string.');
      document = parseGraphQL(body.query);
      cost = costOf(document, variables);
      if (cost.nodes > 500_000) throw new GraphQLSyntaxError(`This query requests up to ${cost.nodes} possible nodes which exceeds the maximum limit of 500,000.`);
    } catch (error) {
      return answer(200, { errors: [{ message: (error as Error).message }] });
    }
    const limit = bucket('graphql');
    if (limit.remaining <= 0 || limit.remaining < cost.points) {
      if (limit.remaining <= 0) requestsWhileExhausted++;
      const status = options.graphqlRateLimitStatus ?? 200;
      return answer(status, { errors: [{ type: 'RATE_LIMITED', code: 'graphql_rate_limit', message: 'API rate limit exceeded for user ID 1.' }] }, 0);
    }
    spend('graphql', cost.points);
    const data: Record<string, unknown> = {};
    const errors: unknown[] = [];
    for (const field of fieldsOf(document.selections, document.fragments)) {
      if (field.name === 'rateLimit') {
        const current = bucket('graphql');
        data[field.alias] = Object.fromEntries(
          fieldsOf(field.selections, document.fragments).map((f) => [
            f.alias,
            { limit: current.limit, cost: cost.points, remaining: current.remaining, used: current.limit - current.remaining, resetAt: new Date(current.resetAt).toISOString(), nodeCount: cost.nodes }[f.name] ?? null,
          ]),
        );
      } else if (field.name === 'repository') {
        const owner = String(resolveValue(field.args.owner, variables));
        const name = String(resolveValue(field.args.name, variables));
        const repository = find(owner, name);
        served.push({ at: now(), api: 'graphql', asked: `${owner}/${name}`, id: repository?.id ?? null, result: repository ? 'ok' : 'not_found' });
        if (repository) {
          data[field.alias] = repositoryNode(repository, field, document.fragments, variables);
        } else {
          data[field.alias] = null;
          errors.push({ type: 'NOT_FOUND', path: [field.alias], locations: [{ line: field.line, column: field.column }], message: `Could not resolve to a Repository with the name '${owner}/${name}'.` });
        }
      } else {
        errors.push({ path: ['query', field.alias], extensions: { code: 'undefinedField', typeName: 'Query', fieldName: field.name }, locations: [{ line: field.line, column: field.column }], message: `Field '${field.name}' doesn't exist on type 'Query'` });
      }
    }
    return answer(200, errors.length > 0 ? { data, errors } : { data }, cost.points);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const api: FakeApi = path === '/graphql' || path === '/api/graphql' ? 'graphql' : 'rest';
    if (api === 'graphql' && request.method !== 'POST') {
      requests.push({ at: now(), api, path, status: 404 });
      return send(response, api, 404, { message: 'Not Found' });
    }
    if (await injectFault(request, response, api, path)) return;
    if (api === 'graphql') return handleGraphQL(request, response, path);
    const ifNoneMatch = request.headers['if-none-match'];
    return handleRest(response, path, typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined);
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
    served,
    faults,
    get requestsWhileExhausted() {
      return requestsWhileExhausted;
    },
    get requestsDuringSecondaryLimit() {
      return requestsDuringSecondaryLimit;
    },
    get everExhausted() {
      return everExhausted;
    },
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
    exhaust(resetInMs, api = 'rest') {
      const current = bucket(api);
      current.remaining = 0;
      current.resetAt = now() + resetInMs;
      everExhausted = true;
    },
    secondaryLimit(limitOptions) {
      secondary = { ...limitOptions, countdown: limitOptions.afterRequests ?? 0 };
    },
    rateLimit(api = 'rest') {
      const { limit, remaining, resetAt } = bucket(api);
      return { limit, remaining, resetAt };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
