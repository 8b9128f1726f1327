import { notifications } from '@mantine/notifications';
import { ApiError } from './api';

/** A human line for an error, with the request id to quote. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const rid = err.requestId ? ` (request id ${err.requestId})` : '';
    if (err.reason === 'too_many_attempts') return `Too many attempts; wait a moment and try again${rid}`;
    // Only when the password dialog was cancelled: otherwise the action was retried.
    if (err.reason === 'reauthentication_required') return `Not done: this action needs your password again${rid}`;
    return `${err.message}${rid}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export function notifyError(err: unknown, title = 'Request failed'): void {
  notifications.show({ color: 'red', title, message: describeError(err), autoClose: 10_000, closeButtonProps: { 'aria-label': 'Dismiss notification' } });
}

export function notifyOk(message: string): void {
  notifications.show({ color: 'green', message, closeButtonProps: { 'aria-label': 'Dismiss notification' } });
}
