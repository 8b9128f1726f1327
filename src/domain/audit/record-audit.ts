import type { Deps, RequestContext } from '../deps.js';
import { timeOrderedId } from '../ids.js';
import type { Principal } from '../principal.js';
import type { Store } from '../store.js';

export interface AuditInput {
  action: string;
  orgId?: string | null;
  targetType?: string;
  targetId?: string | null;
  targetName?: string | null;
  details?: Record<string, unknown>;
  /** For an anonymous actor (null): a label recorded as the actor's login, e.g. `oidc:<issuer name>`. */
  actorLabel?: string;
}

/**
 * Writes one audit event through `store`, which should be the transaction that makes the change,
 * so the change and its record commit or roll back together. `actor` is null for an anonymous
 * caller (a failed sign-in).
 */
export async function recordAudit(
  store: Store,
  deps: Pick<Deps, 'clock'>,
  ctx: RequestContext,
  actor: Principal | null,
  input: AuditInput,
): Promise<void> {
  const token = actor === null || actor.kind === 'system' ? null : actor.token;
  const now = deps.clock.now();
  await store.insertAudit({
    id: timeOrderedId(now),
    occurredAt: now,
    orgId: input.orgId ?? null,
    action: input.action,
    actorUserId: actor?.kind === 'user' ? actor.user.id : null,
    actorLogin: actor?.kind === 'user' ? actor.user.login : actor?.kind === 'system' ? 'system' : actor === null ? (input.actorLabel ?? null) : null,
    tokenId: token?.id ?? null,
    tokenName: token ? token.name : null,
    targetType: input.targetType ?? null,
    targetId: input.targetId ?? null,
    targetName: input.targetName ?? null,
    sourceIp: ctx.sourceIp,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
    details: input.details ?? null,
  });
}
