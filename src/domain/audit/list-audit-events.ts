import type { Deps } from '../deps.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import { auditFilter, decodeAuditCursor, encodeAuditCursor, type AuditQuery } from './audit-query.js';
import { describeAuditEvent, type AuditEventView } from './describe-audit-event.js';

export interface ListAuditEventsInput extends AuditQuery {
  maxResults: number;
  continuationToken?: string;
}

export interface AuditEventPage {
  events: AuditEventView[];
  /** Absent on the last page. */
  continuationToken?: string;
}

/**
 * Lists an organization's audit events, newest first, for its admins (a person or an admin
 * organization token). Keyset pagination on (occurredAt, id): audit ids are UUIDv7, so events
 * of one millisecond keep the order they were written in, and events written while a client
 * pages are never shown twice or skipped.
 */
export async function listAuditEvents(deps: Deps, principal: Principal, orgName: string, input: ListAuditEventsInput): Promise<AuditEventPage> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const filter = auditFilter(input);
  const after = input.continuationToken === undefined ? undefined : decodeAuditCursor(input.continuationToken);
  // One extra row tells whether another page exists without a count query.
  const rows = await deps.store.listOrgAudit(org.id, filter, input.maxResults + 1, after);
  const page = rows.slice(0, input.maxResults);
  const last = page[page.length - 1];
  const events = page.map(describeAuditEvent);
  return rows.length > input.maxResults && last ? { events, continuationToken: encodeAuditCursor(last.event) } : { events };
}
