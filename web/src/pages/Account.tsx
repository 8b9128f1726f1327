import { Button, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { FormError } from '../components/FormError';
import { NewPasswordInputs, useNewPassword } from '../components/NewPasswordInputs';
import { useSubmit } from '../components/useSubmit';
import { notifyOk } from '../errors';
import { useSession, useUser } from '../session';

export function AccountPage() {
  const user = useUser();
  const { expire } = useSession();
  const [current, setCurrent] = useState('');
  const next = useNewPassword();
  const { busy, error, run } = useSubmit();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!next.check()) return;
    void run(async () => {
      await api('PUT', '/api/user/password', { currentPassword: current, newPassword: next.password });
      setCurrent('');
      next.clear();
      notifyOk('Password changed');
      // A password change ends every session, this one included: check, and sign in again if so.
      try {
        await api('GET', '/api/session');
      } catch {
        expire('Your password was changed. Sign in with the new password.');
      }
    });
  };

  return (
    <Stack maw={480}>
      <Title order={2}>Account</Title>
      <Text>
        Signed in as <b>{user.githubLogin}</b>
        {user.name ? ` (${user.name})` : ''}
        {user.email ? `, ${user.email}` : ''}.
      </Text>
      <Title order={3}>Change password</Title>
      <form onSubmit={submit}>
        <Stack>
          <PasswordInput label="Current password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.currentTarget.value)} />
          <NewPasswordInputs state={next} label="New password" confirmLabel="Confirm new password" />
          <FormError error={error} />
          <Group>
            <Button type="submit" loading={busy}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
