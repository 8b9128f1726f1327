import { Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, paths, setReauthenticationHandler } from '../api';
import { describeError } from '../errors';
import { useSession } from '../session';
import { FormError } from './FormError';
import { useSubmit } from './useSubmit';

/** The server's window for sensitive actions (REAUTHENTICATION_WINDOW_MS), in words. */
const WINDOW = '10 minutes';

function describeReauthError(err: unknown): string | undefined {
  if (err instanceof ApiError && err.reason === 'password_incorrect') return 'The password is wrong.';
  return describeError(err);
}

/**
 * Asks for the password when an action needs a recent proof of it (403 reauthentication_required,
 * catalog W08): creating organization tokens, changing OIDC issuers or auth policies. The dialog
 * re-authenticates the session, and api() then retries the action, so the page that started it
 * sees only its result. Requests that are refused at the same time share one dialog.
 */
export function ReauthProvider({ children }: { children: ReactNode }) {
  const [opened, setOpened] = useState(false);
  const pending = useRef<{ promise: Promise<boolean>; resolve(ok: boolean): void } | null>(null);

  const ask = useCallback((): Promise<boolean> => {
    if (pending.current) return pending.current.promise;
    let resolve!: (ok: boolean) => void;
    const promise = new Promise<boolean>((r) => (resolve = r));
    pending.current = { promise, resolve };
    setOpened(true);
    return promise;
  }, []);

  const finish = useCallback((ok: boolean) => {
    setOpened(false);
    pending.current?.resolve(ok);
    pending.current = null;
  }, []);

  useEffect(() => {
    setReauthenticationHandler(ask);
    return () => setReauthenticationHandler(async () => false);
  }, [ask]);

  return (
    <>
      {children}
      {/* Above any dialog the action was started from. Closed, its form unmounts: no password or error stays behind. */}
      <Modal opened={opened} onClose={() => finish(false)} title="Confirm your password to continue" centered zIndex={400}>
        <ReauthForm finish={finish} />
      </Modal>
    </>
  );
}

function ReauthForm({ finish }: { finish(ok: boolean): void }) {
  const { expire } = useSession();
  const [password, setPassword] = useState('');
  const { busy, error, run } = useSubmit(describeReauthError);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      try {
        await api<void>('POST', paths.reauthenticate(), { password });
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          finish(false);
          expire('Your session has ended. Sign in again.');
          return;
        }
        throw err;
      }
      finish(true);
    });
  };

  return (
    <form onSubmit={submit}>
      <Stack>
        <Text size="sm">
          This action needs your password: you last entered it more than {WINDOW} ago. Once confirmed, the action continues, and such actions need no password for the next {WINDOW}.
        </Text>
        <PasswordInput label="Password" autoComplete="current-password" required data-autofocus value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
        <FormError error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => finish(false)} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            Confirm
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
