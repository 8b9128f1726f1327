import type { Organization, Team, TokenRecord, User } from './records.js';

/**
 * Who is acting. A person authenticates with a personal token, or with a console session (then
 * `token` is null); organization and team tokens act as their organization or team; `system` is
 * the operator at the command line (`tessera admin …`), who has already proven access to the
 * database itself.
 */
export type Principal =
  | UserPrincipal
  | { kind: 'organization'; org: Organization; token: TokenRecord }
  | { kind: 'team'; org: Organization; team: Team; token: TokenRecord }
  | { kind: 'system' };

/**
 * A person. `boundOrg` is set (by authentication) for a personal token minted by token exchange:
 * the organization it is bound to, named in `GET /api/user`. Rules read `token.boundOrgId`, which
 * storage always fills, never the absence of `boundOrg`.
 */
export interface UserPrincipal {
  kind: 'user';
  user: User;
  token: TokenRecord | null;
  boundOrg?: Organization;
}

export const SYSTEM: Principal = { kind: 'system' };

/** The token the principal authenticated with, if any. */
export function principalToken(p: Principal): TokenRecord | null {
  return p.kind === 'system' ? null : p.token;
}

/**
 * The organization a person's credential is bound to (an exchanged personal token), or null when
 * it reaches everything its owner may.
 */
export function boundOrgId(p: Principal): string | null {
  return p.kind === 'user' ? (p.token?.boundOrgId ?? null) : null;
}

/**
 * True when a person acts through a console session or a personal token they created themselves
 * (tokens the operator mints with `tessera admin create-user --token` record the user as their
 * creator, and so count). A token minted by token exchange was created by an issuer's policy,
 * not by the person: it is not theirs in this sense, whoever it names (catalog X01).
 */
export function isOwnCredential(p: Principal): p is UserPrincipal {
  if (p.kind !== 'user') return false;
  if (p.token === null) return true;
  return p.token.boundOrgId === null && p.token.createdByUserId === p.user.id;
}

/**
 * Whom per-actor limits count against: the person (by session or personal token alike), or the
 * organization or team token acting. The operator at the command line is not limited (null).
 */
export function actorKey(principal: Principal): string | null {
  if (principal.kind === 'system') return null;
  if (principal.kind === 'user') return `user:${principal.user.id}`;
  return `token:${principal.token.id}`;
}
