import { randomUUID } from 'node:crypto';
import { nowSeconds } from '../clock.js';
import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import { principalToken, type Principal } from '../principal.js';
import type { Store } from '../store.js';
import type { OidcOrigin, TokenRecord, TokenSource } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';
import { resolveExpires } from './expiry.js';
import { authorizeTokenScope, type TokenTarget } from './token-scope.js';
import { displayHint, generateTokenValue, hashTokenValue } from './token-format.js';

export const TOKEN_NAME = /^[A-Za-z0-9_-]{1,40}$/;

export interface IssueTokenInput {
  name?: string;
  description?: string;
  expires?: number | string | null;
  admin?: boolean;
  source: TokenSource;
  oidc?: OidcOrigin;
}

export interface IssuedToken {
  token: TokenRecord;
  /** The secret. Returned exactly once, here; only its hash is stored. */
  tokenValue: string;
}

/**
 * Creates a personal, organization or team token after checking the permission table, the name
 * rules and the expiry. The token row and its audit event commit in one transaction; the value
 * is returned only after that commit.
 */
export async function issueToken(
  deps: Deps,
  ctx: RequestContext,
  principal: Principal,
  target: TokenTarget,
  input: IssueTokenInput,
): Promise<IssuedToken> {
  const { scope, user, org, team } = await authorizeTokenScope(deps, principal, target, 'create');
  const now = nowSeconds(deps.clock);
  const expires = resolveExpires(input.expires, now, deps.config);
  checkWithinCreatorLifetime(principalToken(principal), expires);
  let name = '';
  if (scope.type !== 'personal') {
    name = input.name ?? '';
    if (!TOKEN_NAME.test(name)) fail('name_invalid', 'name must be 1 to 40 letters, digits, - or _');
  }
  if (input.admin && scope.type !== 'organization') fail('invalid_request', 'admin applies to organization tokens only');

  const issued = newTokenRecord({
    type: scope.type,
    userId: user?.id ?? null,
    orgId: org?.id ?? null,
    teamId: team?.id ?? null,
    name,
    description: input.description ?? '',
    admin: scope.type === 'organization' && input.admin === true,
    source: input.source,
    createdAt: deps.clock.now(),
    createdBy: input.oidc ? `oidc:${input.oidc.issuerName}` : creatorLogin(principal),
    createdByUserId: principal.kind === 'user' ? principal.user.id : null,
    expires,
    oidc: input.oidc ?? null,
  });
  await deps.store.transaction(async (tx) => {
    await storeNewToken(tx, issued.token);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'access_token_created',
      orgId: issued.token.orgId,
      targetType: `${issued.token.type}_token`,
      targetId: issued.token.id,
      targetName: name || issued.token.displayValue,
      details: { expires, admin: issued.token.admin, team: team?.name, source: issued.token.source },
    });
  });
  return issued;
}

/**
 * Z04: a token cannot mint a token that outlives it. A leaked token that expires tomorrow must not
 * buy its holder a credential for two years, nor one that never expires; only a console session
 * (which re-proves the password) or a token that itself never expires may create a token without
 * expiry. Tokens minted by token exchange are not created here and are bounded by their issuer.
 */
function checkWithinCreatorLifetime(creator: TokenRecord | null, expires: number): void {
  if (creator === null || creator.expires === 0) return;
  const until = new Date(creator.expires * 1000).toISOString();
  if (expires === 0) {
    fail('expires_invalid', `a token that expires (this one at ${until}) cannot create a token that never expires; set expires no later than ${until}, or create it from the console`);
  }
  if (expires > creator.expires) {
    fail('expires_invalid', `a token cannot create a token that outlives it: this one expires at ${until}; set expires no later than that`);
  }
}

/**
 * A token record with a fresh value; nothing is stored yet. `boundOrgId` defaults to null: only
 * token exchange binds a token to an organization.
 */
export function newTokenRecord(
  fields: Omit<TokenRecord, 'id' | 'tokenHash' | 'displayValue' | 'lastUsed' | 'revokedAt' | 'boundOrgId'> & { boundOrgId?: string | null },
): IssuedToken {
  const tokenValue = generateTokenValue(fields.type);
  const token: TokenRecord = {
    id: randomUUID(),
    ...fields,
    boundOrgId: fields.boundOrgId ?? null,
    tokenHash: hashTokenValue(tokenValue),
    displayValue: displayHint(tokenValue),
    lastUsed: 0,
    revokedAt: 0,
  };
  return { token, tokenValue };
}

/** Stores a new token inside the caller's transaction; an organization or team token's name must be free. */
export async function storeNewToken(tx: Store, token: TokenRecord): Promise<void> {
  // The unique index is the real guard against a race; this check gives the common case a clear error.
  if (token.orgId && (await tx.tokenNameExists(token.orgId, token.name))) {
    fail('token_name_taken', `a token named '${token.name}' already exists in this organization`);
  }
  await tx.insertToken(token);
}

function creatorLogin(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return principal.user.login;
    case 'organization':
    case 'team':
      return `token:${principal.token.name}`;
    case 'system':
      return 'system';
  }
}
