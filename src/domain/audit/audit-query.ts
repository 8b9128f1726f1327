import { fail } from '../errors.js';
import type { AuditCursor, AuditFilter } from '../records.js';

/** The filters of an audit listing or export, as a client names them. */
export interface AuditQuery {
  /** Unix seconds, inclusive. */
  startTime?: number;
  /** Unix seconds, exclusive. */
  endTime?: number;
  /** Login of the acting person. */
  user?: string;
  /** Action name, e.g. `access_token_created`. */
  event?: string;
}

/**
 * Turns a client's filters into the store's. Times become milliseconds so the bounds are exact
 * against `occurredAt`; an empty `user` or `event` means no filter, as an empty form field does.
 */
export function auditFilter(query: AuditQuery): AuditFilter {
  const { startTime, endTime } = query;
  if (startTime !== undefined && endTime !== undefined && endTime <= startTime) {
    fail('invalid_request', 'endTime must be later than startTime');
  }
  return {
    ...(startTime === undefined ? {} : { fromMs: startTime * 1000 }),
    ...(endTime === undefined ? {} : { untilMs: endTime * 1000 }),
    ...(query.user ? { actorLogin: query.user } : {}),
    ...(query.event ? { action: query.event } : {}),
  };
}

/** The opaque continuation token of a newest-first audit listing: the last event of the page. */
export function encodeAuditCursor(c: AuditCursor): string {
  return Buffer.from(JSON.stringify([c.occurredAt, c.id])).toString('base64url');
}

export function decodeAuditCursor(text: string): AuditCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].length <= 64) {
      return { occurredAt: v[0] as number, id: v[1] };
    }
  } catch {
    // fall through to the error below
  }
  return fail('continuation_token_invalid', 'continuationToken is not one this server issued');
}
