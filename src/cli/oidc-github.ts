import { CliError } from './cli-error.js';
import { USER_AGENT } from './http-client.js';
import { checkJwt } from './oidc-input.js';

/** The variables GitHub Actions sets in a job that may request an ID token. */
export interface GithubEnv {
  ACTIONS_ID_TOKEN_REQUEST_URL?: string | undefined;
  ACTIONS_ID_TOKEN_REQUEST_TOKEN?: string | undefined;
}

const TIMEOUT_MS = 5_000;
const MAX_BODY = 64 * 1024;

/**
 * Requests a GitHub Actions OIDC ID token for `audience` from the job's token endpoint: GET
 * `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=<audience>` with `Authorization: bearer
 * $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answered with `{"value": "<jwt>"}`.
 */
export async function githubIdToken(env: GithubEnv, audience: string): Promise<string> {
  const base = env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim();
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim();
  if (!base || !requestToken) {
    throw new CliError(
      '--github needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub Actions sets only in jobs with `permissions: id-token: write`',
    );
  }
  let url: URL;
  try {
    url = new URL(`${base}${base.includes('?') ? '&' : '?'}audience=${encodeURIComponent(audience)}`);
  } catch {
    throw new CliError('ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  // Checked here because fetch's own error for a bad header value quotes the value.
  if (!/^[\x21-\x7e]+$/.test(requestToken)) throw new CliError('ACTIONS_ID_TOKEN_REQUEST_TOKEN contains spaces or control characters');
  // Only the origin is named in messages: the path and query belong to the job.
  const where = `the GitHub Actions token endpoint (${url.origin})`;

  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json', authorization: `bearer ${requestToken}`, 'user-agent': USER_AGENT },
      // A redirect could carry the request token elsewhere.
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await res.text();
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError') throw new CliError(`${where} did not answer within ${TIMEOUT_MS / 1000} s`);
    throw new CliError(`cannot reach ${where} (${e.cause?.code ?? e.name ?? 'error'})`);
  }
  if (!res.ok) throw new CliError(`${where} answered HTTP ${res.status}; check that the job has \`permissions: id-token: write\``);
  let value: unknown;
  try {
    value = text.length > MAX_BODY ? undefined : (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string') throw new CliError(`${where} did not answer with {"value": "<token>"}`);
  return checkJwt(value, `the ID token from ${where}`);
}
