import { Alert, Badge, Button, Center, Group, Loader, Modal, Select, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, paths, type OrganizationMember } from '../api';
import { describeError, notifyError, notifyOk } from '../errors';
import { useSession, useUser } from '../session';
import { useOrg } from './Org';

const ROLES = [
  { value: 'member', label: 'Member' },
  { value: 'admin', label: 'Admin' },
];

export function MembersPage() {
  const { name, isAdmin, reload: reloadOrg } = useOrg();
  const me = useUser();
  const { refreshUser } = useSession();
  const [members, setMembers] = useState<OrganizationMember[]>();
  const [error, setError] = useState<string>();
  const [login, setLogin] = useState('');
  const [role, setRole] = useState('member');
  const [addError, setAddError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<string>();

  const load = useCallback(async () => {
    try {
      const r = await api<{ members: OrganizationMember[] }>('GET', paths.members(name));
      setMembers(r.members);
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [name]);
  useEffect(() => {
    void load();
  }, [load]);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setAddError(undefined);
    try {
      await api('PUT', paths.member(name, login.trim()), { role });
      notifyOk(`${login} is now ${role === 'admin' ? 'an admin' : 'a member'} of ${name}`);
      setLogin('');
      await load();
    } catch (err) {
      setAddError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const changeRole = async (who: string, newRole: string) => {
    try {
      await api('PUT', paths.member(name, who), { role: newRole });
      notifyOk(`${who} is now ${newRole}`);
      await load();
      if (who === me.githubLogin) {
        await refreshUser();
        await reloadOrg();
      }
    } catch (err) {
      notifyError(err, 'Could not change the role');
    }
  };

  const remove = async () => {
    if (!removing) return;
    try {
      await api('DELETE', paths.member(name, removing));
      notifyOk(`${removing} removed from ${name}`);
      setRemoving(undefined);
      await load();
      if (removing === me.githubLogin) await refreshUser();
    } catch (err) {
      notifyError(err, 'Could not remove the member');
    }
  };

  return (
    <Stack>
      <Title order={2}>Members · {name}</Title>
      {isAdmin && (
        <form onSubmit={add}>
          <Group align="flex-end" wrap="wrap">
            <TextInput label="Login" description="An existing user's login" required value={login} onChange={(e) => setLogin(e.currentTarget.value)} error={addError} />
            <Select label="Role" data={ROLES} value={role} onChange={(v) => setRole(v ?? 'member')} allowDeselect={false} w={140} />
            <Button type="submit" loading={busy}>
              Add member
            </Button>
          </Group>
        </form>
      )}
      {error ? (
        <Alert color="red">{error}</Alert>
      ) : !members ? (
        <Center py="xl">
          <Loader aria-label="Loading members" />
        </Center>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table striped aria-label="Members">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Login</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                {isAdmin && (
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                )}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {members.map((m) => (
                <Table.Tr key={m.user.githubLogin}>
                  <Table.Td>{m.user.githubLogin}</Table.Td>
                  <Table.Td>{m.user.name}</Table.Td>
                  <Table.Td>{m.user.email}</Table.Td>
                  <Table.Td>
                    {isAdmin ? (
                      <Select
                        aria-label={`Role of ${m.user.githubLogin}`}
                        data={ROLES}
                        value={m.role}
                        onChange={(v) => v && v !== m.role && void changeRole(m.user.githubLogin, v)}
                        allowDeselect={false}
                        w={130}
                        size="xs"
                      />
                    ) : (
                      <Badge variant="light" color={m.role === 'admin' ? 'blue' : 'gray'}>
                        {m.role}
                      </Badge>
                    )}
                  </Table.Td>
                  {isAdmin && (
                    <Table.Td>
                      <Button size="xs" color="red" variant="light" onClick={() => setRemoving(m.user.githubLogin)} aria-label={`Remove ${m.user.githubLogin}`}>
                        Remove
                      </Button>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={!!removing} onClose={() => setRemoving(undefined)} title="Remove member?" centered>
        <Stack>
          <Text size="sm">
            {removing} loses access to {name} and leaves all of its teams. Organization and team tokens they created stay valid.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRemoving(undefined)}>
              Cancel
            </Button>
            <Button color="red" onClick={() => void remove()}>
              Remove
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
