import { Alert, Center, Loader } from '@mantine/core';
import type { ReactNode } from 'react';

export interface LoadedListProps<T> {
  /** undefined while loading. */
  items: T[] | undefined;
  error?: string;
  errorTitle?: string;
  /** The loader's accessible name, e.g. "Loading members". */
  loadingLabel: string;
  /** Shown instead of `children` when the list is empty; without it an empty list renders `children`. */
  empty?: ReactNode;
  children(items: T[]): ReactNode;
}

/** A list being loaded: its error, a loader until it arrives, then the empty notice or the list itself. */
export function LoadedList<T>({ items, error, errorTitle, loadingLabel, empty, children }: LoadedListProps<T>) {
  if (error) {
    return (
      <Alert color="red" title={errorTitle}>
        {error}
      </Alert>
    );
  }
  if (!items) {
    return (
      <Center py="xl">
        <Loader aria-label={loadingLabel} />
      </Center>
    );
  }
  if (items.length === 0 && empty !== undefined) return <>{empty}</>;
  return <>{children(items)}</>;
}
