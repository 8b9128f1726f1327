import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { SessionRecord } from '../records.js';

/**
 * How recent a proof of the password a console session needs for a sensitive action (catalog
 * W08, ASVS v5 7.5.1): creating organization tokens, registering, changing or deleting OIDC
 * issuers (thumbprint regeneration included) and changing auth policies. Ten minutes lets an
 * administrator finish a task begun at sign-in, while a session left open, or one whose cookie was
 * stolen, cannot take these actions without the password. Fixed on purpose, not configurable.
 */
export const REAUTHENTICATION_WINDOW_MS = 10 * 60_000;

/**
 * Refuses (403 reauthentication_required) a sensitive action through a console session whose
 * password was last proven `REAUTHENTICATION_WINDOW_MS` ago or longer. Token-authenticated calls
 * never come here: a token is its own proof, and automation has no password to type.
 */
export function requireRecentPassword(deps: { clock: Clock }, session: SessionRecord): void {
  if (deps.clock.now() - session.passwordVerifiedAt < REAUTHENTICATION_WINDOW_MS) return;
  throw new DomainError(
    'reauthentication_required',
    `this action needs your password again: the session last proved it more than ${REAUTHENTICATION_WINDOW_MS / 60_000} minutes ago; confirm it with POST /api/session/reauthenticate and retry`,
  );
}
