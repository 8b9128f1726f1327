import { randomUUID } from 'node:crypto';
import type { Deps, RequestContext } from '../deps.js';
import { fail } from '../errors.js';
import type { Principal } from '../principal.js';
import type { User } from '../records.js';
import { recordAudit } from '../audit/record-audit.js';
import { hasSiteAdminPower } from './site-admin.js';
import { hashPassword, PASSWORD_MAX, PASSWORD_MIN } from './password.js';

export const LOGIN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/;
export const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export interface CreateUserInput {
  login: string;
  email: string;
  name?: string;
  password?: string;
  siteAdmin?: boolean;
}

/** Creates a local user. Only the operator and site administrators may do this. */
export async function createUser(deps: Deps, ctx: RequestContext, principal: Principal, input: CreateUserInput): Promise<User> {
  if (!hasSiteAdminPower(principal)) fail('forbidden', 'only site administrators may create users, through a console session or a personal token they created');
  if (!LOGIN.test(input.login)) fail('invalid_request', 'login must be 1 to 39 letters, digits, ., - or _, starting with a letter or digit');
  if (!EMAIL.test(input.email)) fail('invalid_request', 'email is not a valid address');
  if (input.password !== undefined && (input.password.length < PASSWORD_MIN || input.password.length > PASSWORD_MAX)) {
    fail('invalid_request', `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const user: User = {
    id: randomUUID(),
    login: input.login,
    email: input.email,
    name: input.name ?? input.login,
    siteAdmin: input.siteAdmin === true,
    disabledAt: null,
    createdAt: deps.clock.now(),
  };
  await deps.store.transaction(async (tx) => {
    if (await tx.findUserByLogin(user.login)) fail('login_taken', `login '${user.login}' is taken`);
    await tx.insertUser(user, passwordHash);
    await recordAudit(tx, deps, ctx, principal, {
      action: 'user_created',
      targetType: 'user',
      targetId: user.id,
      targetName: user.login,
      details: { siteAdmin: user.siteAdmin },
    });
  });
  return user;
}

/** Finds a user by login or fails with user_not_found. */
export async function findUserOrFail(deps: Deps, login: string): Promise<User> {
  return (await deps.store.findUserByLogin(login)) ?? fail('user_not_found', `user '${login}' not found`);
}
