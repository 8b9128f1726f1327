import type { Deps } from '../deps.js';

/** True while no user exists: the console then offers first-run setup. */
export async function setupNeeded(deps: Deps): Promise<boolean> {
  return (await deps.store.countUsers()) === 0;
}
