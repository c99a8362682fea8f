import { GatehouseVerificationError } from './verification-error.js';

const DEFAULT_INTROSPECTION_CACHE_SECONDS = 30;
const DEFAULT_INTROSPECTION_CACHE_ENTRIES = 10_000;
const DEFAULT_TIMEOUT_MS = 5_000;

/** `createGatehouseVerifier({ introspection })`. */
export interface IntrospectionSettings {
  apiKey: string;
  /** How long an answer is reused for the same token. Default 30; 0 asks every time. */
  cacheSeconds?: number;
  /** At most this many answers are kept (the oldest go first). Default 10 000. */
  maxEntries?: number;
  /** Default 5000. */
  timeoutMs?: number;
}

export type IntrospectionAnswer = { active: true } | { active: false };

/** What the cache needs of a verified token: its id and its expiry (seconds since the epoch). */
type TokenFacts = { jti: string; exp: number };

/**
 * Introspection answers, per token (by its jti: the signature already proved it Gatehouse's,
 * and the token itself is not kept), for `cacheSeconds` and never past the token's expiry. The
 * cache is bounded: past `maxEntries` the oldest answers go. Concurrent verifications of one
 * token share one request. Only answers are cached: a failure to ask is retried next time.
 */
export function createIntrospection(
  base: string,
  settings: IntrospectionSettings,
  fetchImpl: typeof globalThis.fetch,
  now: () => number,
) {
  const cacheMs = Math.max(0, settings.cacheSeconds ?? DEFAULT_INTROSPECTION_CACHE_SECONDS) * 1000;
  const maxEntries = Math.max(1, settings.maxEntries ?? DEFAULT_INTROSPECTION_CACHE_ENTRIES);
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const answers = new Map<string, { answer: IntrospectionAnswer; until: number }>();
  const inFlight = new Map<string, Promise<IntrospectionAnswer>>();

  function remember(jti: string, answer: IntrospectionAnswer, tokenExpiresAtMs: number): void {
    if (cacheMs === 0) return;
    const until = Math.min(now() + cacheMs, tokenExpiresAtMs);
    answers.delete(jti);
    while (answers.size >= maxEntries) answers.delete(answers.keys().next().value!);
    answers.set(jti, { answer, until });
  }

  async function request(token: string, claims: TokenFacts): Promise<IntrospectionAnswer> {
    let response: Response;
    let body: unknown;
    try {
      response = await fetchImpl(`${base}/auth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-api-key': settings.apiKey, accept: 'application/json' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = response.ok ? await response.json() : undefined;
    } catch (error) {
      throw new GatehouseVerificationError('introspection_unavailable', undefined, { cause: error });
    }
    if (!response.ok || typeof body !== 'object' || body === null || typeof (body as { active?: unknown }).active !== 'boolean') {
      // A refused key, a rate limit, an outage: none of it says the token is good or bad.
      throw new GatehouseVerificationError('introspection_unavailable', `Gatehouse answered introspection with ${response.status}`);
    }
    const answer = body as { active: boolean; token_type?: unknown; jti?: unknown };
    if (!answer.active) return { active: false };
    // Active, and about this very token: anything else is not an answer we can trust.
    if (answer.token_type !== 'access_token' || answer.jti !== claims.jti) {
      throw new GatehouseVerificationError('introspection_unavailable', 'Gatehouse answered introspection about another token');
    }
    return { active: true };
  }

  return {
    async ask(token: string, claims: TokenFacts): Promise<IntrospectionAnswer> {
      const cached = answers.get(claims.jti);
      if (cached && cached.until > now()) return cached.answer;
      if (cached) answers.delete(claims.jti);
      const pending = inFlight.get(claims.jti);
      if (pending) return pending;
      const asking = request(token, claims)
        .then((answer) => {
          remember(claims.jti, answer, claims.exp * 1000);
          return answer;
        })
        .finally(() => inFlight.delete(claims.jti));
      inFlight.set(claims.jti, asking);
      return asking;
    },
  };
}
