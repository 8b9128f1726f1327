import { useState } from 'react';
import { describeError } from '../errors';

/**
 * A form's submission: `busy` while the action runs, and the failure as a line to show in the form.
 * `describe` turns an error into that line; returning undefined shows none (the caller showed it elsewhere).
 */
export function useSubmit(describe: (err: unknown) => string | undefined = describeError) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const run = async (action: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  return { busy, error, run };
}
