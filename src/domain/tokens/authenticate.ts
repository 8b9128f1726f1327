import { timingSafeEqual } from 'node:crypto';
import { nowSeconds } from '../clock.js';
import type { Deps, RequestContext } from '../deps.js';
import { DomainError, RetryLaterError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { Organization, TokenRecord } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';
import { hashTokenValue, parseTokenValue } from './token-format.js';

const GENERIC = 'the access token is missing or invalid';

/**
 * Extracts the token value from an Authorization header: `token <value>` or `Bearer <value>`, the
 * scheme case-insensitive, exactly one space-separated credential. Anything else is undefined.
 */
export function tokenFromHeader(header: string): string | undefined {
  const m = /^(token|bearer) ([^\s,]+)$/i.exec(header);
  return m ? m[2] : undefined;
}

/** The error for a token that authenticates no one: 401, or 429 once the address has failed too often (A10). */
function invalid(deps: Deps, ctx: RequestContext): DomainError {
  const wait = deps.tokenFailures.fail(ctx.sourceIp);
  if (wait > 0) return new RetryLaterError('too_many_failed_authentications', `too many requests with an invalid token from this address; retry in ${wait} seconds`, wait);
  return new DomainError('token_invalid', GENERIC);
}

/**
 * Resolves an Authorization header to the principal it authenticates, enforcing expiry at the
 * second, revocation, disabled users, and that the owning organization or team still exists.
 * Every check reads the database: nothing is cached, so a revocation on one node holds on all.
 */
export async function authenticate(deps: Deps, ctx: RequestContext, header: string | undefined): Promise<Principal> {
  if (header === undefined || header === '') throw new DomainError('token_missing', GENERIC);
  const value = tokenFromHeader(header);
  // Shape and checksum are checked before any lookup, so garbage never reaches the database.
  if (value === undefined || parseTokenValue(value) === undefined) throw invalid(deps, ctx);
  const hash = hashTokenValue(value);
  const found = await deps.store.findCredential(hash);
  // The lookup is by hash, not by value; compare the hashes in constant time all the same so no
  // code path branches on secret-derived bytes.
  if (!found || !timingSafeEqual(Buffer.from(found.token.tokenHash, 'hex'), Buffer.from(hash, 'hex'))) {
    throw invalid(deps, ctx);
  }
  const { token, user, org, team, boundOrg } = found;
  const now = nowSeconds(deps.clock);
  const principal: Principal | undefined =
    token.type === 'personal' && user && user.disabledAt === null && personalBindingHolds(token, boundOrg)
      ? { kind: 'user', user, token, ...(boundOrg ? { boundOrg } : {}) }
      : token.type === 'organization' && org
        ? { kind: 'organization', org, token }
        : token.type === 'team' && org && team
          ? { kind: 'team', org, team, token }
          : undefined;

  // The token's kind and team are recorded so the audit log can say which dead credential a
  // pipeline still holds ("team token ci of team platform"); the team is named while it exists.
  // Repeated uses of one dead token share an audit row a minute, which counts them (X05).
  const auditDeadUse = async (action: string, details: Record<string, unknown>): Promise<void> => {
    const uses = deps.deadTokenUses.note(token.id);
    if (uses === 0) return;
    await recordAudit(deps.store, deps, ctx, principal ?? { kind: 'system' }, {
      action,
      orgId: token.orgId,
      targetType: `${token.type}_token`,
      targetId: token.id,
      targetName: token.name || token.displayValue,
      details: { ...details, uses, ...(team ? { team: team.name } : {}) },
    });
  };
  if (token.revokedAt !== 0) {
    await auditDeadUse('access_token_revoked_used', {});
    throw new DomainError('token_revoked', 'the access token has been revoked');
  }
  if (token.expires !== 0 && now >= token.expires) {
    await auditDeadUse('access_token_expired_used', { expires: token.expires });
    const at = new Date(token.expires * 1000).toISOString();
    throw new DomainError('token_expired', `the access token expired at ${at}`);
  }
  // The owner is gone or disabled: as good as unknown to the caller.
  if (!principal) throw invalid(deps, ctx);
  deps.lastUsed.note(token);
  return principal;
}

/**
 * A personal token minted by token exchange must be bound to an organization that still exists.
 * One that is not (minted before bindings were recorded, its issuer since deleted) or whose
 * organization is gone is refused rather than let reach everything (catalog X01: fail closed).
 */
function personalBindingHolds(token: TokenRecord, boundOrg: Organization | null): boolean {
  if (token.boundOrgId !== null) return boundOrg !== null && boundOrg.id === token.boundOrgId;
  return token.source !== 'oidc';
}
