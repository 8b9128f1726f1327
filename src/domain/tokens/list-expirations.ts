import { nowSeconds } from '../clock.js';
import type { Deps } from '../deps.js';
import { fail } from '../errors.js';
import { orgAdminAccess } from '../orgs/org-access.js';
import type { Principal } from '../principal.js';
import type { OrgTokenEntry } from '../records.js';

/** The windows the console offers, in days. */
export const EXPIRATION_WINDOWS = [7, 30, 90] as const;
export type ExpirationWindow = (typeof EXPIRATION_WINDOWS)[number];

/** A token not used for this long counts as unused. */
export const UNUSED_AFTER_DAYS = 90;

/**
 * Most tokens each list returns. An organization with more tokens than this in one list has a
 * problem no page of the console would solve; `truncated` says the list was cut so the console
 * can say so, rather than the server answering slowly with an unbounded body.
 */
export const EXPIRATIONS_LIST_LIMIT = 1000;

export interface Expirations {
  within: ExpirationWindow;
  nowSec: number;
  /** Active tokens with `now < expires <= now + within days`, soonest first. */
  expiring: OrgTokenEntry[];
  /** Active tokens that never expire, oldest first. */
  noExpiry: OrgTokenEntry[];
  /** Active tokens never used, or last used more than UNUSED_AFTER_DAYS ago; least recently used first. */
  unused: OrgTokenEntry[];
  truncated: { expiring: boolean; noExpiry: boolean; unused: boolean };
}

const DAY = 86_400;

/**
 * The organization and team tokens of an organization that need an admin's attention: those
 * about to expire, those that never will, and those nobody uses. For organization admins only,
 * like the organization token list, since it names every team's tokens.
 */
export async function listExpirations(deps: Deps, principal: Principal, orgName: string, within: number): Promise<Expirations> {
  const { org } = await orgAdminAccess(deps, principal, orgName);
  if (!isWindow(within)) fail('invalid_request', `within must be one of ${EXPIRATION_WINDOWS.join(', ')}`);
  const nowSec = nowSeconds(deps.clock);
  const limit = EXPIRATIONS_LIST_LIMIT;
  const usedBefore = nowSec - UNUSED_AFTER_DAYS * DAY;
  const [expiring, noExpiry, unusedRows] = await Promise.all([
    deps.store.listExpiringTokens(org.id, nowSec, nowSec + within * DAY, limit + 1),
    deps.store.listTokensWithoutExpiry(org.id, limit + 1),
    deps.store.listUnusedTokens(org.id, nowSec, usedBefore, limit + 1),
  ]);
  // The stored lastUsed lags real use by up to 45 s (LastUsedTracker); a use this node has not
  // written yet still counts, so a token used a moment ago is never reported as unused.
  const fresh = (e: OrgTokenEntry): OrgTokenEntry => ({ ...e, token: { ...e.token, lastUsed: deps.lastUsed.lastUsedOf(e.token) } });
  const unused = unusedRows.map(fresh).filter((e) => e.token.lastUsed < usedBefore);
  return {
    within,
    nowSec,
    expiring: expiring.slice(0, limit).map(fresh),
    noExpiry: noExpiry.slice(0, limit).map(fresh),
    unused: unused.slice(0, limit),
    truncated: { expiring: expiring.length > limit, noExpiry: noExpiry.length > limit, unused: unusedRows.length > limit },
  };
}

function isWindow(n: number): n is ExpirationWindow {
  return (EXPIRATION_WINDOWS as readonly number[]).includes(n);
}
