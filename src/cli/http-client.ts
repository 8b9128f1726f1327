import { VERSION } from '../version.js';
import { CliError, oneLine } from './cli-error.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** The server recognises this prefix and records tokens created through it with source 'cli'. */
export const USER_AGENT = `tessera-cli/${VERSION}`;

const TIMEOUT_MS = 30_000;

// What a header value may hold. Checked before sending because fetch's own error for a bad
// header value quotes the value, which here is the secret.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** The REST error body of API.md section 1. */
interface RestErrorBody {
  code: number;
  message: string;
  reason: string;
  requestId: string;
}

function isRestError(v: unknown): v is RestErrorBody {
  const o = v as Partial<RestErrorBody> | null;
  return typeof o === 'object' && o !== null && typeof o.message === 'string' && typeof o.reason === 'string' && typeof o.requestId === 'string';
}

/** A refusal from the server, carrying its status, stable reason and request id. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly reason: string | undefined,
    readonly requestId: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Normalises a server URL to `scheme://host[:port][/base]` without a trailing slash. Only http
 * and https are accepted, and never with credentials in the URL: those belong in a token.
 */
export function normalizeBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new CliError(`'${oneLine(text)}' is not a URL; expected for example ${DEFAULT_URL}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`the server URL must start with http:// or https://, got '${url.protocol}'`);
  if (url.username || url.password) throw new CliError('the server URL must not contain a user name or password; use an access token');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** One URL path segment; `.` and `..` are refused because URL parsing would resolve them. */
export function segment(value: string, what: string): string {
  if (value === '' || value === '.' || value === '..') throw new CliError(`${what} '${value}' is not valid`);
  return encodeURIComponent(value);
}

type Query = Record<string, string | number | undefined>;

/** A small client for the Tessera HTTP API, authenticating with one access token. */
export class TesseraClient {
  readonly baseUrl: string;
  // A private field, so the secret does not show when the object is logged or inspected.
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = normalizeBaseUrl(baseUrl);
    if (!HEADER_SAFE.test(token)) throw new CliError('the access token contains spaces or control characters; check how it was copied');
    this.#token = token;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query, undefined);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, undefined, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, undefined, body);
  }

  async delete(path: string): Promise<void> {
    await this.request<unknown>('DELETE', path, undefined, undefined);
  }

  private async request<T>(method: string, path: string, query: Query | undefined, body: unknown): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': USER_AGENT, authorization: `token ${this.#token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';

    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // An API does not redirect; following one could carry the token somewhere else.
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new CliError(unreachableMessage(this.baseUrl, err));
    }

    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      throw new CliError(`${this.baseUrl} answered with a redirect${location ? ` to ${oneLine(location)}` : ''}; log in with the URL the server expects`);
    }
    const text = await readBody(res, this.baseUrl);
    if (!res.ok) throw errorFrom(res, text, this.baseUrl);
    if (res.status === 204 || text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      // JSON.parse's message quotes the input, which may hold a token value: never pass it on.
      throw new CliError(`${this.baseUrl} did not answer with JSON (HTTP ${res.status}); is it a Tessera server?`);
    }
  }
}

async function readBody(res: Response, baseUrl: string): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw new CliError(unreachableMessage(baseUrl, err));
  }
}

function errorFrom(res: Response, text: string, baseUrl: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isRestError(body)) {
    return new ApiError(res.status, body.reason, body.requestId, `${body.message} (reason: ${body.reason}, request id: ${body.requestId})`);
  }
  const requestId = res.headers.get('x-request-id') ?? undefined;
  const suffix = requestId ? ` (request id: ${requestId})` : '';
  return new ApiError(res.status, undefined, requestId, `${baseUrl} answered HTTP ${res.status} ${res.statusText}${suffix}; is it a Tessera server?`);
}

function unreachableMessage(baseUrl: string, err: unknown): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `the Tessera server at ${baseUrl} did not answer within ${TIMEOUT_MS / 1000} s`;
  const why = e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? 'unknown error';
  return `cannot reach the Tessera server at ${baseUrl} (${why}); check the URL (--url or TESSERA_URL) and that the server is running`;
}
