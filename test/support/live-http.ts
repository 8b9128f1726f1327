import type { AddressInfo } from 'node:net';
import type { AuditEvent } from '../../src/domain/records.js';
import type { Harness } from './harness.js';

/** The proxy address the live suites send from; the harness must trust it (trustProxy: [LOOPBACK]). */
export const LOOPBACK = '127.0.0.1';

/** A reply read whole: status, headers and the parsed JSON body (when it is JSON). */
export interface LiveReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  ms: number;
}

/** Puts the harness app on a real loopback port and returns its base URL. */
export async function listen(h: Harness): Promise<string> {
  await h.app.listen({ port: 0, host: LOOPBACK });
  return `http://${LOOPBACK}:${(h.app.server.address() as AddressInfo).port}`;
}

/**
 * One request over a real socket. `from` is the client address, passed as X-Forwarded-For through
 * the trusted loopback proxy, so a suite can play several clients.
 */
export async function request(
  base: string,
  method: string,
  path: string,
  opts: { from?: string; body?: unknown; form?: Record<string, string>; token?: string; headers?: Record<string, string> } = {},
): Promise<LiveReply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.from !== undefined) headers['x-forwarded-for'] = opts.from;
  if (opts.token !== undefined) headers.authorization = `token ${opts.token}`;
  let payload: string | undefined;
  if (opts.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(opts.form).toString();
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(opts.body);
  }
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body, ms };
}

/** How many replies had each status, e.g. { 401: 5, 429: 35 }. */
export function statusCounts(replies: LiveReply[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/** Audit rows of an action, across the whole log. */
export async function auditRows(h: Harness, action: string): Promise<AuditEvent[]> {
  return (await h.deps.store.listAudit(null, 100_000)).filter((r) => r.action === action);
}
