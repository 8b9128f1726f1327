import type { Deps } from '../deps.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { AuditCursor, Organization } from '../records.js';
import { auditFilter, type AuditQuery } from './audit-query.js';
import { describeAuditEvent, type AuditEventView } from './describe-audit-event.js';

/** Rows read per query: large enough to keep round trips few, small enough to keep memory flat. */
export const EXPORT_PAGE_SIZE = 500;

export interface AuditExport {
  org: Organization;
  /** Every matching event, newest first, read from the database a page at a time as it is consumed. */
  events: AsyncGenerator<AuditEventView>;
}

/**
 * Opens an export of an organization's audit events for its admins. Permission and filters are
 * checked before this resolves, so a refusal is an ordinary error response rather than a broken
 * stream. There is no cap on the number of events: the caller streams them out as they come,
 * and paging by (occurredAt, id) means events written during the export neither repeat nor
 * shift the pages still to be read.
 */
export async function exportAuditEvents(deps: Deps, principal: Principal, orgName: string, query: AuditQuery, pageSize = EXPORT_PAGE_SIZE): Promise<AuditExport> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const filter = auditFilter(query);
  async function* events(): AsyncGenerator<AuditEventView> {
    let after: AuditCursor | undefined;
    for (;;) {
      const rows = await deps.store.listOrgAudit(org.id, filter, pageSize, after);
      for (const row of rows) yield describeAuditEvent(row);
      const last = rows[rows.length - 1];
      if (rows.length < pageSize || !last) return;
      after = { occurredAt: last.event.occurredAt, id: last.event.id };
    }
  }
  return { org, events: events() };
}
