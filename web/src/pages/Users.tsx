import { Badge, Button, Checkbox, Group, Modal, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, type SiteUserList } from '../api';
import { DataTable } from '../components/DataTable';
import { FormError } from '../components/FormError';
import { LoadedList } from '../components/LoadedList';
import { useApiGet } from '../components/useApiGet';
import { useSubmit } from '../components/useSubmit';
import { notifyError, notifyOk } from '../errors';
import { useUser } from '../session';
import { When } from '../time';

export function UsersPage() {
  const me = useUser();
  const { data, error, reload: load } = useApiGet<SiteUserList>(me.siteAdmin ? '/api/users' : undefined);
  const [form, setForm] = useState({ login: '', email: '', name: '', password: '', siteAdmin: false });
  const { busy, error: createError, run: runCreate } = useSubmit();
  const [resetting, setResetting] = useState<string>();
  const [newPassword, setNewPassword] = useState('');
  const { error: resetError, run: runReset } = useSubmit();

  if (!me.siteAdmin) return <Text>Only site administrators can manage users.</Text>;

  const create = (e: FormEvent) => {
    e.preventDefault();
    void runCreate(async () => {
      const body: Record<string, unknown> = { login: form.login.trim(), email: form.email.trim(), siteAdmin: form.siteAdmin };
      if (form.name) body.name = form.name;
      if (form.password) body.password = form.password;
      await api('POST', '/api/users', body);
      notifyOk(`User ${form.login} created`);
      setForm({ login: '', email: '', name: '', password: '', siteAdmin: false });
      await load();
    });
  };

  const reset = (e: FormEvent) => {
    e.preventDefault();
    if (!resetting) return;
    void runReset(async () => {
      await api('PUT', `/api/users/${encodeURIComponent(resetting)}/password`, { password: newPassword });
      notifyOk(`Password of ${resetting} reset; their sessions have ended`);
      setResetting(undefined);
      setNewPassword('');
    });
  };

  const setDisabled = async (login: string, disabled: boolean) => {
    try {
      await api('PUT', `/api/users/${encodeURIComponent(login)}/disabled`, { disabled });
      notifyOk(`${login} ${disabled ? 'disabled' : 'enabled'}`);
      await load();
    } catch (err) {
      notifyError(err, 'Could not change the user');
    }
  };

  return (
    <Stack>
      <Title order={2}>Users</Title>
      <Title order={3}>Create user</Title>
      <form onSubmit={create}>
        <Stack maw={640}>
          <Group grow align="flex-start" wrap="wrap">
            <TextInput label="Login" required value={form.login} onChange={(e) => setForm({ ...form, login: e.currentTarget.value })} miw={180} />
            <TextInput label="Email" type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} miw={180} />
          </Group>
          <Group grow align="flex-start" wrap="wrap">
            <TextInput label="Full name" value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} miw={180} />
            <PasswordInput
              label="Initial password"
              description="Leave empty to set one later"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.currentTarget.value })}
              miw={180}
            />
          </Group>
          <Checkbox label="Site administrator" checked={form.siteAdmin} onChange={(e) => setForm({ ...form, siteAdmin: e.currentTarget.checked })} />
          <FormError error={createError} />
          <Button type="submit" loading={busy} w="fit-content">
            Create user
          </Button>
        </Stack>
      </form>
      <Title order={3}>All users</Title>
      <LoadedList items={data?.users} error={error} loadingLabel="Loading users">
        {(users) => (
          <DataTable label="Users" minWidth={760} columns={['Login', 'Name', 'Email', 'Created', 'Status']} actions>
            {users.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>
                  {u.login} {u.siteAdmin && <Badge size="xs">site admin</Badge>}
                </Table.Td>
                <Table.Td>{u.name}</Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>
                  <When at={u.created} />
                </Table.Td>
                <Table.Td>{u.disabled ? <Badge color="gray">disabled</Badge> : <Badge color="green" variant="light">active</Badge>}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button size="xs" variant="default" onClick={() => setResetting(u.login)} aria-label={`Reset password of ${u.login}`}>
                      Reset password
                    </Button>
                    {u.login !== me.githubLogin && (
                      <Button
                        size="xs"
                        variant="light"
                        color={u.disabled ? 'green' : 'red'}
                        onClick={() => void setDisabled(u.login, !u.disabled)}
                        aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.login}`}
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
      <Modal opened={!!resetting} onClose={() => setResetting(undefined)} title={`Reset the password of ${resetting ?? ''}`} centered>
        <form onSubmit={reset}>
          <Stack>
            <PasswordInput label="New password" autoComplete="new-password" required value={newPassword} onChange={(e) => setNewPassword(e.currentTarget.value)} data-autofocus />
            <FormError error={resetError} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setResetting(undefined)}>
                Cancel
              </Button>
              <Button type="submit">Reset password</Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}
