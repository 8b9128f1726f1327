import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './cli-error.js';
import { DEFAULT_URL, normalizeBaseUrl } from './http-client.js';

/** What `tessera login` stores: one server and the token for it. */
export interface Credentials {
  url: string;
  token: string;
}

/** The environment variables the client commands read (passed in; only main decides the source). */
export interface ClientEnv {
  TESSERA_URL?: string | undefined;
  TESSERA_TOKEN?: string | undefined;
  XDG_CONFIG_HOME?: string | undefined;
  HOME?: string | undefined;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** `$XDG_CONFIG_HOME/tessera/credentials.json`, by default `~/.config/tessera/credentials.json`. */
export function credentialsPath(env: ClientEnv): string {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(nonEmpty(env.HOME) ?? os.homedir(), '.config');
  return path.join(base, 'tessera', 'credentials.json');
}

/** The server URL for `tessera login`: --url, else TESSERA_URL, else the default. */
export function loginUrl(env: ClientEnv, flag: string | undefined): string {
  return normalizeBaseUrl(flag ?? nonEmpty(env.TESSERA_URL) ?? DEFAULT_URL);
}

/** Reads the stored credentials; undefined when there are none. */
export async function readCredentials(file: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const mode = (await fs.stat(file)).mode;
  if (mode & 0o077) process.stderr.write(`tessera: warning: ${file} is readable by other users; run chmod 600 on it\n`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the file, which holds the token: say only where the problem is.
    throw new CliError(`${file} is not valid JSON; run tessera login again`);
  }
  const c = value as Partial<Credentials> | null;
  if (typeof c !== 'object' || c === null || typeof c.url !== 'string' || typeof c.token !== 'string' || c.token === '') {
    throw new CliError(`${file} does not hold {url, token}; run tessera login again`);
  }
  return { url: c.url, token: c.token };
}

/**
 * Stores credentials with mode 0600 in a 0700 directory. The file is written to a temporary name
 * (created 0600, so the token is never readable by others, not even briefly) and renamed over
 * the old one, so a crash leaves either the old file or the new one, never half of either.
 */
export async function writeCredentials(file: string, credentials: Credentials): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await fs.open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(credentials, null, 2)}\n`);
      // The umask may have narrowed the mode further, never widened it; make it exactly 0600.
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw new CliError(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * The server and token the client commands use: TESSERA_URL and TESSERA_TOKEN win over the stored
 * credentials. A stored token is only sent to the server it was stored for, so pointing
 * TESSERA_URL at another server cannot leak it there.
 */
export async function resolveCredentials(env: ClientEnv): Promise<Credentials> {
  const envUrl = nonEmpty(env.TESSERA_URL);
  const token = nonEmpty(env.TESSERA_TOKEN);
  // With both variables set the stored file is not needed, so a broken one does not get in the way.
  if (envUrl && token) return { url: normalizeBaseUrl(envUrl), token };
  const stored = await readCredentials(credentialsPath(env));
  const url = normalizeBaseUrl(envUrl ?? stored?.url ?? DEFAULT_URL);
  if (token) return { url, token };
  if (!stored) throw new CliError('not logged in: run tessera login, or set TESSERA_TOKEN');
  if (normalizeBaseUrl(stored.url) !== url) {
    throw new CliError(`not logged in to ${url} (the stored credentials are for ${normalizeBaseUrl(stored.url)}); run tessera login --url ${url}, or set TESSERA_TOKEN`);
  }
  return { url, token: stored.token };
}
