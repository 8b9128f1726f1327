import { Alert, Button, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { describeError, notifyOk } from '../errors';
import { useSession, useUser } from '../session';

export function AccountPage() {
  const user = useUser();
  const { expire } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string>();
  const [mismatch, setMismatch] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== confirm) return setMismatch(true);
    setMismatch(false);
    setBusy(true);
    setError(undefined);
    try {
      await api('PUT', '/api/user/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setConfirm('');
      notifyOk('Password changed');
      // A password change ends every session, this one included: check, and sign in again if so.
      try {
        await api('GET', '/api/session');
      } catch {
        expire('Your password was changed. Sign in with the new password.');
      }
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
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
          <PasswordInput label="New password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.currentTarget.value)} />
          <PasswordInput
            label="Confirm new password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.currentTarget.value)}
            error={mismatch ? 'The passwords differ' : undefined}
          />
          {error && <Alert color="red">{error}</Alert>}
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
