import fs from 'node:fs/promises';
import { CliError } from './cli-error.js';
import { readStdin } from './stdin.js';

/** Files named with @ hold a token, a key set or a policy list: a few kilobytes, never megabytes. */
const MAX_FILE = 1024 * 1024;

/** Reads a file given as `@<path>`; errors name the path and the reason, never the content. */
async function readArgumentFile(file: string, what: string): Promise<string> {
  if (file === '') throw new CliError(`${what}: @ must be followed by a file name`);
  try {
    const stat = await fs.stat(file);
    if (stat.size > MAX_FILE) throw new CliError(`${what}: ${file} is larger than 1 MiB`);
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * The value of an argument that may be given inline, as `@<file>`, or (when `stdin` is allowed)
 * as `-` for standard input.
 */
export async function readArgument(spec: string, what: string, opts: { stdin?: boolean } = {}): Promise<string> {
  if (spec === '-' && opts.stdin) {
    if (process.stdin.isTTY) throw new CliError(`${what}: - reads stdin, which is a terminal; pipe the value in or use @<file>`);
    return readStdin();
  }
  if (spec.startsWith('@')) return readArgumentFile(spec.slice(1), what);
  return spec;
}

/** A JSON document given inline or as `@<file>`. JSON.parse's own message quotes the input, so it is not passed on. */
export async function readJsonArgument(spec: string, what: string): Promise<unknown> {
  const text = await readArgument(spec, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${what} is not valid JSON${spec.startsWith('@') ? ` (${spec.slice(1)})` : ''}`);
  }
}

// Three base64url parts: header, payload, signature (RFC 7519, compact serialization).
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Checks that `text` looks like a JWT, without ever quoting it. */
export function checkJwt(text: string, what: string): string {
  const jwt = text.trim();
  if (jwt === '') throw new CliError(`${what} is empty`);
  if (!JWT_SHAPE.test(jwt)) {
    throw new CliError(`${what} is not a JWT (three base64url parts separated by dots); to read it from a file write @<file>, from stdin -`);
  }
  return jwt;
}

/** The OIDC ID token given as `<jwt>`, `@<file>` or `-` (stdin). */
export async function readSubjectToken(spec: string, what: string): Promise<string> {
  return checkJwt(await readArgument(spec, what, { stdin: true }), what);
}

/**
 * The payload of a JWT, decoded without verifying anything: only to fill in defaults the server
 * checks again (it verifies the signature). Undefined when the payload is not a JSON object.
 */
export function unverifiedClaims(jwt: string): Record<string, unknown> | undefined {
  const payload = jwt.split('.')[1] ?? '';
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `text` with every occurrence of `secret` replaced, for messages that quote what a server said. */
export function withoutSecret(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('[subject token]');
}
