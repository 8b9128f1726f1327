import { useCallback, useEffect, useState } from 'react';
import { api } from '../api';
import { describeError } from '../errors';

/**
 * The reply of one GET, loaded when `path` is set and again whenever it changes (the old reply is
 * dropped then), with the failure as a line to show and `reload` to fetch it afresh.
 */
export function useApiGet<T>(path: string | undefined): { data?: T; error?: string; reload(): Promise<void> } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();

  const reload = useCallback(async () => {
    if (path === undefined) return;
    try {
      setData(await api<T>('GET', path));
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [path]);

  useEffect(() => {
    setData(undefined);
    void reload();
  }, [reload]);

  return { data, error, reload };
}
