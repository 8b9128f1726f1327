import { auditFilter, listAuditPage } from '../audit/audit-query.js';
import type { Deps } from '../deps.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { AuditEvent } from '../records.js';
import type { ExaminedClaim, PolicyTraceEntry } from './evaluate-policies.js';

/**
 * Recent token-exchange attempts of an organization, for its admins: the `oidc_token_exchanged`
 * and `oidc_token_exchange_denied` audit events, newest first, with their claims and traces
 * (docs/decisions.md, "Exchange attempts, dry runs and retention").
 */

export const EXCHANGE_ACTIONS = { allowed: 'oidc_token_exchanged', denied: 'oidc_token_exchange_denied' } as const;
export type ExchangeOutcome = keyof typeof EXCHANGE_ACTIONS;

export interface ListExchangesInput {
  outcome?: ExchangeOutcome;
  requestId?: string;
  startTime?: number;
  endTime?: number;
  maxResults: number;
  continuationToken?: string;
}

export interface OidcExchange {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  requestId: string;
  sourceIP: string;
  outcome: ExchangeOutcome;
  issuerId: string | null;
  issuerName: string | null;
  subject: string | null;
  requestedTokenType: string;
  scope: string;
  check?: string;
  reason?: string;
  error?: string;
  description: string;
  tokenId?: string;
  expiresIn?: number;
  policyVersion: number | null;
  claims: ExaminedClaim[];
  trace: PolicyTraceEntry[];
}

export async function listExchanges(
  deps: Deps,
  principal: Principal,
  orgName: string,
  input: ListExchangesInput,
): Promise<{ exchanges: OidcExchange[]; continuationToken?: string }> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  const filter = {
    ...auditFilter(input),
    actions: input.outcome ? [EXCHANGE_ACTIONS[input.outcome]] : Object.values(EXCHANGE_ACTIONS),
    ...(input.requestId ? { requestId: input.requestId } : {}),
  };
  const page = await listAuditPage(deps, org.id, filter, input.maxResults, input.continuationToken);
  const exchanges = page.entries.map((e) => exchangeFromEvent(e.event));
  return page.continuationToken ? { exchanges, continuationToken: page.continuationToken } : { exchanges };
}

function exchangeFromEvent(event: AuditEvent): OidcExchange {
  const d = event.details ?? {};
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : null);
  const allowed = event.action === EXCHANGE_ACTIONS.allowed;
  return {
    id: event.id,
    timestamp: Math.floor(event.occurredAt / 1000),
    requestId: event.requestId ?? '',
    sourceIP: event.sourceIp ?? '',
    outcome: allowed ? 'allowed' : 'denied',
    issuerId: text('issuerId'),
    issuerName: text('issuerName'),
    subject: text('subject'),
    requestedTokenType: text('requestedTokenType') ?? '',
    scope: text('scope') ?? '',
    ...(allowed
      ? {
          description: exchangedDescription(text('requestedTokenType')),
          ...(event.targetId ? { tokenId: event.targetId } : {}),
          ...(typeof d.expiresIn === 'number' ? { expiresIn: d.expiresIn } : {}),
        }
      : {
          description: text('description') ?? '',
          ...(text('check') ? { check: text('check') as string } : {}),
          ...(text('reason') ? { reason: text('reason') as string } : {}),
          ...(text('error') ? { error: text('error') as string } : {}),
        }),
    policyVersion: typeof d.policyVersion === 'number' ? d.policyVersion : null,
    claims: Array.isArray(d.claims) ? (d.claims as ExaminedClaim[]) : [],
    trace: Array.isArray(d.trace) ? (d.trace as PolicyTraceEntry[]) : [],
  };
}

function exchangedDescription(type: string | null): string {
  return type === 'organization' ? 'exchanged for an organization token' : `exchanged for a ${type ?? ''} token`;
}
