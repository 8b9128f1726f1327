import http from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * One HTTP exchange as the client saw it. Fault tests need to tell "the response reached me in
 * full" from "the connection broke", and to know when a request started, so this client never
 * throws: a broken exchange is an outcome with `error` set.
 */
export interface Outcome {
  /** performance.now() just before the request was handed to the socket layer. */
  start: number;
  /** performance.now() when the whole request had been handed to the kernel, if it got that far. */
  sent?: number;
  /** performance.now() when the response body ended or the exchange failed. */
  end: number;
  /** Set only when the whole response (headers and body) arrived. */
  status?: number;
  headers?: http.IncomingHttpHeaders;
  text?: string;
  /** The parsed body when it was JSON. */
  json?: any;
  /** Why the exchange failed: an errno code (ECONNREFUSED, ECONNRESET, …) or a short word. */
  error?: string;
}

export interface SendOptions {
  token?: string;
  body?: unknown;
  /** An agent to reuse connections, or false for a fresh connection per request (the default). */
  agent?: http.Agent | false;
  /** Gives up after this long (default 15 s), so no loop can hang on a stuck server. */
  timeoutMs?: number;
}

/** Sends one request to `base` (http://127.0.0.1:port) and resolves with what came back. */
export function send(base: string, method: string, path: string, opts: SendOptions = {}): Promise<Outcome> {
  const url = new URL(path, base);
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const headers: Record<string, string | number> = {};
  if (opts.token !== undefined) headers.authorization = `token ${opts.token}`;
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  const start = performance.now();
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    let sent: number | undefined;
    const finish = (o: Omit<Outcome, 'start' | 'end'>) => {
      if (settled) return;
      settled = true;
      resolve({ start, end: performance.now(), ...(sent === undefined ? {} : { sent }), ...o });
    };
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? 'response_error' }));
        res.on('aborted', () => finish({ error: 'aborted' }));
        res.on('end', () => {
          // 'end' after 'aborted' is not a complete response.
          if (!res.complete) return finish({ error: 'incomplete' });
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (String(res.headers['content-type'] ?? '').includes('json') && text !== '') {
            try {
              json = JSON.parse(text);
            } catch {
              return finish({ error: 'bad_json' });
            }
          }
          finish({ status: res.statusCode!, headers: res.headers, text, json });
        });
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => {
      finish({ error: 'timeout' });
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
    req.on('finish', () => (sent = performance.now()));
    req.end(payload);
  });
}

/** Connection-level failures a client sees when the server is gone or going. */
export const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'aborted', 'incomplete']);

/** A compact description of an outcome for assertion messages. */
export function describeOutcome(o: Outcome): string {
  if (o.error !== undefined) return `error ${o.error}`;
  return `${o.status} ${o.text?.slice(0, 300) ?? ''}`;
}

/** The REST error reason of a complete error response, if any. */
export function reasonOf(o: Outcome): string | undefined {
  return o.json && typeof o.json === 'object' ? (o.json as { reason?: string }).reason : undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Starts a request whose body arrives in two parts: headers and the first half now, the rest when
 * `finish` is called. Between the two the request is in flight on the server for certain, which
 * makes "SIGTERM while a request is in flight" deterministic.
 */
export function sendInTwoParts(base: string, method: string, path: string, opts: { token?: string; body: unknown }): { finish(): Promise<Outcome> } {
  const url = new URL(path, base);
  const payload = Buffer.from(JSON.stringify(opts.body));
  const half = Math.floor(payload.length / 2);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': payload.length };
  if (opts.token !== undefined) headers.authorization = `token ${opts.token}`;
  const start = performance.now();
  let resolveOutcome!: (o: Outcome) => void;
  const outcome = new Promise<Outcome>((r) => (resolveOutcome = r));
  let settled = false;
  const done = (o: Omit<Outcome, 'start' | 'end'>) => {
    if (settled) return;
    settled = true;
    resolveOutcome({ start, end: performance.now(), ...o });
  };
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, headers, agent: false }, (res) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('aborted', () => done({ error: 'aborted' }));
    res.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? 'response_error' }));
    res.on('end', () => {
      if (!res.complete) return done({ error: 'incomplete' });
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      done({ status: res.statusCode!, headers: res.headers, text, json });
    });
  });
  req.setTimeout(15_000, () => {
    done({ error: 'timeout' });
    req.destroy();
  });
  req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message }));
  req.flushHeaders();
  req.write(payload.subarray(0, half));
  return {
    finish: () => {
      req.end(payload.subarray(half));
      return outcome;
    },
  };
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
