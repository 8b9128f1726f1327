import type { Clock } from '../clock.js';
import { DomainError } from '../errors.js';
import type { OidcIssuer } from '../records.js';
import { fetchIssuerJson, type IssuerFetchOptions } from './fetch-issuer-document.js';
import { importKeySet, type VerificationKey } from './key-set.js';

/** A refetch for an unknown `kid` happens at most this often per issuer (K01; jose's cooldown). */
export const KEY_REFETCH_COOLDOWN_MS = 30_000;
/** Keys older than this are refetched before use (K07; jose's cache max age). */
export const KEY_MAX_AGE_MS = 10 * 60_000;

interface Entry {
  keys: VerificationKey[];
  /** The issuer row's key-source version these keys were loaded for (keySourceVersion). */
  version: string;
  fetchedAt: number;
  /** Generation of the load that produced these keys. */
  generation: number;
}

interface Slot {
  entry?: Entry;
  /** The load in flight, shared by every caller asking for the same version (F10). */
  inflight?: Promise<Entry>;
  inflightVersion?: string;
  /** Start time of the last fetch attempt, for the unknown-kid cooldown. */
  lastAttemptAt: number;
  /** Incremented when a load starts; a load only commits when it is newer than what is cached (F11). */
  nextGeneration: number;
}

/**
 * What the cached keys of an issuer depend on, read from the issuer row the exchange has just
 * loaded from the database (X09): its modification time and its key source (the static key set, or
 * the key set URL and pinned thumbprints). When another node replaces the key set, the row this
 * node reads differs from the one its keys were loaded for, and the keys are reloaded before use;
 * a deleted issuer is never found, so its keys are never asked for. No node trusts keys the
 * database no longer holds, without any message between nodes.
 */
export function keySourceVersion(issuer: OidcIssuer): string {
  const source = issuer.jwks ? `jwks:${JSON.stringify(issuer.jwks)}` : `uri:${issuer.jwksUri ?? ''}|${issuer.thumbprints.join(',')}`;
  return `${issuer.modifiedAt}|${source}`;
}

/** Fetches (or reads the static set of) one registered issuer's keys. */
export type KeyLoader = (issuer: OidcIssuer) => Promise<VerificationKey[]>;

/** The default loader: the static `jwks` when the issuer has one, otherwise its discovered `jwks_uri`. */
export function issuerKeyLoader(fetchOptions: IssuerFetchOptions): KeyLoader {
  return async (issuer) => {
    if (issuer.jwks) return importKeySet(issuer.jwks);
    if (!issuer.jwksUri) throw new Error('the issuer has no key set URL');
    const doc = await fetchIssuerJson(issuer.jwksUri, fetchOptions, issuer.thumbprints);
    return importKeySet(doc.body);
  };
}

/**
 * Keys per registered issuer, for verifying ID tokens. Keys are only ever loaded for an issuer
 * record (never for an `iss` read from an unverified token). The last good keys stay in use when a
 * refetch fails (K02, F08); a failed or empty fetch is never cached; callers asking at the same
 * time share one fetch; a reload that finishes after a newer one is discarded.
 */
export class IssuerKeys {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly clock: Clock,
    private readonly load: KeyLoader,
  ) {}

  /**
   * The issuer's keys usable with `alg`, and with `kid` when given. Loads on first use and after
   * the max age; an unknown `kid` triggers one refetch unless one started within the cooldown.
   * Throws DomainError `issuer_keys_unavailable` when nothing was ever loaded and loading fails.
   */
  async keysFor(issuer: OidcIssuer, alg: string, kid?: string): Promise<VerificationKey[]> {
    const slot = this.slot(issuer.id);
    const now = this.clock.now();
    let entry = slot.entry;
    if (!entry || entry.version !== keySourceVersion(issuer) || now - entry.fetchedAt >= KEY_MAX_AGE_MS) {
      entry = await this.refresh(issuer, slot);
    }
    let found = select(entry.keys, alg, kid);
    if (found.length === 0 && kid !== undefined && !issuer.jwks && this.clock.now() - slot.lastAttemptAt >= KEY_REFETCH_COOLDOWN_MS) {
      entry = await this.refresh(issuer, slot);
      found = select(entry.keys, alg, kid);
    }
    return found;
  }

  /** Forgets an issuer's keys (after its key source changed or it was deleted); loads in flight are discarded. */
  forget(issuerId: string): void {
    const slot = this.slots.get(issuerId);
    if (!slot) return;
    this.slots.set(issuerId, { lastAttemptAt: 0, nextGeneration: slot.nextGeneration + 1 });
  }

  private slot(id: string): Slot {
    let slot = this.slots.get(id);
    if (!slot) {
      slot = { lastAttemptAt: 0, nextGeneration: 1 };
      this.slots.set(id, slot);
    }
    return slot;
  }

  /** Reloads, sharing a load in flight; on failure falls back to the cached keys, if any. */
  private async refresh(issuer: OidcIssuer, slot: Slot): Promise<Entry> {
    const version = keySourceVersion(issuer);
    if (!slot.inflight || slot.inflightVersion !== version) {
      const generation = slot.nextGeneration++;
      slot.lastAttemptAt = this.clock.now();
      const run = this.load(issuer).then((keys) => {
        const fresh: Entry = { keys, version, fetchedAt: this.clock.now(), generation };
        const current = this.slots.get(issuer.id);
        // Commit only into the same slot, and only over older keys: a slow reload that finishes
        // after a newer one (or after forget()) must not bring back what it read.
        if (current === slot && (!slot.entry || slot.entry.generation < generation)) slot.entry = fresh;
        return current === slot && slot.entry && slot.entry.version === version ? slot.entry : fresh;
      });
      slot.inflight = run;
      slot.inflightVersion = version;
      const clear = () => {
        if (slot.inflight === run) {
          delete slot.inflight;
          delete slot.inflightVersion;
        }
      };
      run.then(clear, clear);
    }
    try {
      return await slot.inflight!;
    } catch (err) {
      // Last good keys carry on through an outage, but not past their max age (F08), and never
      // across a change of the key source (X09): then the exchange answers 503 rather than
      // trusting keys the issuer or an admin may have withdrawn.
      if (slot.entry && slot.entry.version === version && this.clock.now() - slot.entry.fetchedAt < KEY_MAX_AGE_MS) return slot.entry;
      throw new DomainError('issuer_keys_unavailable', `the issuer's keys could not be fetched: ${(err as Error).message}`);
    }
  }

  /** Loads an issuer's keys now, for registration checks and tests; throws on failure. */
  async loadNow(issuer: OidcIssuer): Promise<VerificationKey[]> {
    return (await this.refresh(issuer, this.slot(issuer.id))).keys;
  }
}

/** Keys for `alg`, narrowed to `kid` when the token names one. Several may match (K04): the caller verifies with each. */
function select(keys: readonly VerificationKey[], alg: string, kid: string | undefined): VerificationKey[] {
  return keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid));
}
