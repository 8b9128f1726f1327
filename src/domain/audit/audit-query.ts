import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import type { AuditCursor, AuditEntry, AuditFilter } from '../records.js';

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

/**
 * One page of an organization's audit events matching `filter`, newest first. Keyset pagination on
 * (occurredAt, id): audit ids are UUIDv7, so events of one millisecond keep the order they were
 * written in, and events written while a client pages are never shown twice or skipped.
 */
export async function listAuditPage(
  deps: Deps,
  orgId: string,
  filter: AuditFilter,
  maxResults: number,
  continuationToken: string | undefined,
): Promise<{ entries: AuditEntry[]; continuationToken?: string }> {
  const after = continuationToken === undefined ? undefined : decodeAuditCursor(continuationToken);
  // One extra row tells whether another page exists without a count query.
  const rows = await deps.store.listOrgAudit(orgId, filter, maxResults + 1, after);
  const entries = rows.slice(0, maxResults);
  const last = entries[entries.length - 1];
  return rows.length > maxResults && last ? { entries, continuationToken: encodeAuditCursor(last.event) } : { entries };
}

/** The opaque continuation token of a newest-first audit listing: the last event of the page. */
function encodeAuditCursor(c: AuditCursor): string {
  return Buffer.from(JSON.stringify([c.occurredAt, c.id])).toString('base64url');
}

function decodeAuditCursor(text: string): AuditCursor {
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
