import { randomUUID } from 'node:crypto';
import type { Deps, RequestContext } from '../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { fail } from '../errors.js';
import type { User } from '../records.js';
import type { LoginResult } from '../sessions/login.js';
import { withKnownBrowser } from '../sessions/known-browser.js';
import { startSession } from '../sessions/start-session.js';
import { EMAIL, LOGIN } from './create-user.js';
import { checkNewPassword, hashPassword } from './password.js';

export interface SetupInput {
  login: string;
  email: string;
  name?: string;
  password: string;
}

const DONE = 'setup has already been done; sign in instead';

/**
 * First run: creates the first user, a site administrator, and signs them in. Anyone who reaches
 * the server may do this while no user exists, so two people may race for it: the transaction
 * first inserts the one row of the `setup` table, whose fixed primary key lets exactly one of
 * them commit (a check-then-insert would let both through).
 */
export async function completeSetup(deps: Deps, ctx: RequestContext, input: SetupInput): Promise<LoginResult> {
  if ((await deps.store.countUsers()) > 0) fail('setup_done', DONE);
  if (!LOGIN.test(input.login)) fail('invalid_request', 'login must be 1 to 39 letters, digits, ., - or _, starting with a letter or digit');
  if (!EMAIL.test(input.email)) fail('invalid_request', 'email is not a valid address');
  checkNewPassword(input.password);
  // Hashed before the transaction opens, so the database is not held while scrypt runs.
  const passwordHash = await hashPassword(input.password);
  const now = deps.clock.now();
  const user: User = {
    id: randomUUID(),
    login: input.login,
    email: input.email,
    name: input.name ?? input.login,
    siteAdmin: true,
    disabledAt: null,
    createdAt: now,
  };
  const result = await deps.store.transaction(async (tx) => {
    await tx.claimSetup(now);
    // Users made from the command line (`tessera admin create-user`) also end first-run setup.
    if ((await tx.countUsers()) > 0) fail('setup_done', DONE);
    await tx.insertUser(user, passwordHash);
    await recordAudit(tx, deps, ctx, { kind: 'user', user, token: null }, {
      action: 'user_created',
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { siteAdmin: true, setup: true },
    });
    return { user, knownBrowser: withKnownBrowser(undefined, user.id, passwordHash), ...(await startSession(tx, deps, ctx, user)) };
  });
  // The administrator's address and browser are known to the account from the start (X08).
  deps.loginThrottle.recordSignIn(user.login, ctx.sourceIp);
  return result;
}
