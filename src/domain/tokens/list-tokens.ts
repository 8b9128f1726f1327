import { nowSeconds } from '../clock.js';
import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { TokenCursor, TokenFilter, TokenRecord } from '../records.js';
import { authorizeTokenScope, type TokenTarget } from './token-scope.js';

export interface ListTokensInput {
  filter: TokenFilter;
  maxResults: number;
  continuationToken?: string;
}

export interface TokenPage {
  tokens: TokenRecord[];
  /** Absent on the last page. */
  continuationToken?: string;
  nowSec: number;
}

/** Lists tokens newest first with keyset pagination; the continuation token is opaque to clients. */
export async function listTokens(deps: Deps, principal: Principal, target: TokenTarget, input: ListTokensInput): Promise<TokenPage> {
  const { scope } = await authorizeTokenScope(deps, principal, target, 'list');
  const after = input.continuationToken === undefined ? undefined : decodeCursor(input.continuationToken);
  const nowSec = nowSeconds(deps.clock);
  const rows = await deps.store.listTokens(scope, input.filter, nowSec, input.maxResults + 1, after);
  const tokens = rows.slice(0, input.maxResults).map((t) => ({ ...t, lastUsed: deps.lastUsed.lastUsedOf(t) }));
  const last = tokens[tokens.length - 1];
  return rows.length > input.maxResults && last ? { tokens, continuationToken: encodeCursor(last), nowSec } : { tokens, nowSec };
}

/** active, expired or revoked, as of `nowSec`. */
export function tokenStatus(token: TokenRecord, nowSec: number): 'active' | 'expired' | 'revoked' {
  if (token.revokedAt !== 0) return 'revoked';
  return token.expires !== 0 && nowSec >= token.expires ? 'expired' : 'active';
}

function encodeCursor(t: TokenRecord): string {
  return Buffer.from(JSON.stringify([t.createdAt, t.id])).toString('base64url');
}

function decodeCursor(text: string): TokenCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && v[1].length <= 64) {
      return { createdAt: v[0] as number, id: v[1] };
    }
  } catch {
    // fall through to the error below
  }
  return fail('continuation_token_invalid', 'continuationToken is not one this server issued');
}
