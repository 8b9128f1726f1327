import { nowSeconds } from '../clock.js';
import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { TokenRecord, TokenScope } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';
import { authorizeTokenScope, type TokenTarget } from './token-scope.js';

/** True when `token` belongs to `scope`; ids from another scope are treated as unknown. */
export function tokenInScope(token: TokenRecord, scope: TokenScope): boolean {
  switch (scope.type) {
    case 'personal':
      return token.type === 'personal' && token.userId === scope.userId;
    case 'organization':
      return token.type === 'organization' && token.orgId === scope.orgId;
    case 'team':
      return token.type === 'team' && token.teamId === scope.teamId;
  }
}

/**
 * Deletes (revokes) a token. Revocation is a committed database write that every node reads on
 * the next request, so it takes effect at once everywhere. Deleting a token that is already
 * revoked succeeds without a second audit event; a token outside the caller's scope is not found.
 */
export async function revokeToken(
  deps: Deps,
  ctx: RequestContext,
  principal: Principal,
  target: TokenTarget,
  tokenId: string,
): Promise<void> {
  const { scope, team } = await authorizeTokenScope(deps, principal, target, 'delete');
  await deps.store.transaction(async (tx) => {
    const token = await tx.findToken(tokenId);
    if (!token || !tokenInScope(token, scope)) fail('token_not_found', 'token not found');
    if (!(await tx.revokeToken(token.id, nowSeconds(deps.clock)))) return;
    await recordAudit(tx, deps, ctx, principal, {
      action: 'access_token_deleted',
      orgId: token.orgId,
      targetType: `${token.type}_token`,
      targetId: token.id,
      targetName: token.name || token.displayValue,
      ...(team ? { details: { team: team.name } } : {}),
    });
  });
}
