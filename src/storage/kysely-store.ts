import type { Transaction } from 'kysely';
import type { Store } from '../domain/store.js';
import { InvitationStore } from './invitation-store.js';
import type { Database } from './schema.js';

/**
 * The Store over any Kysely<Database>: a database handle, or a transaction inside one. Its methods
 * come in layers, one file per area, each extending the one before: StoreBase (handle, hot
 * queries, transactions) → PeopleStore → TokenStore (tokens, audit) → AccountStore (accounts,
 * sessions) → OidcStore → InvitationStore → KyselyStore.
 */
export class KyselyStore extends InvitationStore implements Store {
  protected fork(trx: Transaction<Database>): Store {
    return new KyselyStore(trx, this.compiled);
  }
}
