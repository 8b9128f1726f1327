import type { Deps } from '../deps.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import { auditFilter, listAuditPage, type AuditQuery } from './audit-query.js';
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
 * organization token), a page at a time (see listAuditPage).
 */
export async function listAuditEvents(deps: Deps, principal: Principal, orgName: string, input: ListAuditEventsInput): Promise<AuditEventPage> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const page = await listAuditPage(deps, org.id, auditFilter(input), input.maxResults, input.continuationToken);
  const events = page.entries.map(describeAuditEvent);
  return page.continuationToken ? { events, continuationToken: page.continuationToken } : { events };
}
