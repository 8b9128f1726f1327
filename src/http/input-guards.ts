import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';

/**
 * X10: NUL characters are refused at the door. PostgreSQL's text type cannot hold U+0000, so a NUL
 * that reached a query (a login at sign-in, an organization name in a path, a claim in an audit
 * row) failed there as a 500; SQLite would store it and compare it differently. No field of the
 * contract has a use for it, so one check here answers 400 for every route, in the route's own
 * error shape (the token endpoint's error handler turns it into the OAuth shape).
 */
const NUL_MESSAGE = 'the request contains a NUL character (U+0000), which no field accepts';

/** onRequest: the path and query, raw (`%00`) or decoded. */
export function refuseNulInUrl(request: FastifyRequest): void {
  const url = request.raw.url ?? '';
  if (url.includes('\u0000') || url.includes('%00')) throw new DomainError('invalid_request', NUL_MESSAGE);
}

/**
 * preValidation: every string and key of a parsed JSON body, walked with an explicit stack (a body
 * nested thousands of levels deep must not overflow the call stack here either), and raw bodies
 * (the token endpoint's form bytes) for a NUL byte or its form encoding.
 */
export function refuseNulInBody(body: unknown): void {
  if (Buffer.isBuffer(body)) {
    // Searched in the bytes: no string copy of every form body on the exchange's hot path.
    if (body.includes(0) || body.includes('%00')) throw new DomainError('invalid_request', NUL_MESSAGE);
    return;
  }
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw new DomainError('invalid_request', NUL_MESSAGE);
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes('\u0000')) throw new DomainError('invalid_request', NUL_MESSAGE);
        stack.push(item);
      }
    }
  }
}

/**
 * D03: a Content-Type naming `__proto__`, `constructor` or `prototype`, as the essence or a
 * parameter, is refused (415) before any body parser looks it up: Fastify once resolved parsers
 * through a plain object (CVE-2022-39288), and no media type we accept is spelled so.
 */
export function refuseHostileContentType(request: FastifyRequest): void {
  const type = request.headers['content-type'];
  if (type !== undefined && /__proto__|constructor|prototype/i.test(type)) {
    throw new DomainError('unsupported_media_type', 'unsupported Content-Type; send application/json');
  }
}
