import { Alert, Anchor, Badge, Button, Center, Divider, Group, Loader, Modal, Select, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, paths, type TeamDetail } from '../api';
import { describeError, notifyError, notifyOk } from '../errors';
import { useUser } from '../session';
import { TokensPanel } from '../tokens';
import { useOrg } from './Org';

const ROLES = [
  { value: 'member', label: 'Member' },
  { value: 'maintainer', label: 'Maintainer' },
];

export function TeamPage() {
  const { name: org, isAdmin } = useOrg();
  const { team: teamName = '' } = useParams();
  const me = useUser();
  const navigate = useNavigate();
  const [team, setTeam] = useState<TeamDetail>();
  const [error, setError] = useState<string>();
  const [login, setLogin] = useState('');
  const [role, setRole] = useState('member');
  const [addError, setAddError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [removing, setRemoving] = useState<string>();

  const load = useCallback(async () => {
    try {
      setTeam(await api<TeamDetail>('GET', paths.team(org, teamName)));
      setError(undefined);
    } catch (err) {
      setError(describeError(err));
    }
  }, [org, teamName]);
  useEffect(() => {
    setTeam(undefined);
    void load();
  }, [load]);

  if (error) return <Alert color="red" title={`Team ${teamName}`}>{error}</Alert>;
  if (!team || team.name !== teamName) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading team" />
      </Center>
    );
  }

  const myRole = team.members.find((m) => m.githubLogin === me.githubLogin)?.role;
  const isMaintainer = myRole === 'maintainer';
  const canManage = isAdmin || isMaintainer;

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setAddError(undefined);
    try {
      await api('PUT', paths.teamMember(org, teamName, login.trim()), { role });
      notifyOk(`${login} added to ${teamName}`);
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
      await api('PUT', paths.teamMember(org, teamName, who), { role: newRole });
      notifyOk(`${who} is now ${newRole} of ${teamName}`);
      await load();
    } catch (err) {
      notifyError(err, 'Could not change the role');
    }
  };
  const remove = async () => {
    if (!removing) return;
    try {
      await api('DELETE', paths.teamMember(org, teamName, removing));
      notifyOk(`${removing} removed from ${teamName}`);
      setRemoving(undefined);
      await load();
    } catch (err) {
      notifyError(err, 'Could not remove the team member');
    }
  };
  const deleteTeam = async () => {
    try {
      await api('DELETE', paths.team(org, teamName));
      notifyOk(`Team ${teamName} deleted; its tokens are revoked`);
      navigate(`/orgs/${encodeURIComponent(org)}/teams`);
    } catch (err) {
      notifyError(err, 'Could not delete the team');
    }
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Anchor component={Link} to={`/orgs/${encodeURIComponent(org)}/teams`} size="sm">
            ← Teams
          </Anchor>
          <Title order={2}>Team {team.displayName || team.name}</Title>
          {team.description && <Text c="dimmed">{team.description}</Text>}
        </div>
        {isAdmin && (
          <Button color="red" variant="light" onClick={() => setConfirmDelete(true)}>
            Delete team
          </Button>
        )}
      </Group>

      {canManage ? (
        <TokensPanel kind="team" base={paths.teamTokens(org, teamName)} title="Team tokens" canManage />
      ) : (
        <Alert color="gray" title="Team tokens">
          Only organization admins and this team's maintainers can see and manage its tokens.
        </Alert>
      )}

      <Divider my="sm" />
      <Title order={3}>Members</Title>
      {canManage && (
        <form onSubmit={add}>
          <Group align="flex-end" wrap="wrap">
            <TextInput label="Member login" description="Must be a member of the organization" required value={login} onChange={(e) => setLogin(e.currentTarget.value)} error={addError} />
            <Select label="Team role" data={ROLES} value={role} onChange={(v) => setRole(v ?? 'member')} allowDeselect={false} w={150} />
            <Button type="submit" loading={busy}>
              Add to team
            </Button>
          </Group>
        </form>
      )}
      {team.members.length === 0 ? (
        <Text c="dimmed">No members yet.</Text>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table striped aria-label="Team members">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Login</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Role</Table.Th>
                {canManage && (
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                )}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {team.members.map((m) => (
                <Table.Tr key={m.githubLogin}>
                  <Table.Td>{m.githubLogin}</Table.Td>
                  <Table.Td>{m.name}</Table.Td>
                  <Table.Td>
                    {canManage ? (
                      <Select
                        aria-label={`Team role of ${m.githubLogin}`}
                        data={ROLES}
                        value={m.role}
                        onChange={(v) => v && v !== m.role && void changeRole(m.githubLogin, v)}
                        allowDeselect={false}
                        size="xs"
                        w={140}
                      />
                    ) : (
                      <Badge variant="light" color={m.role === 'maintainer' ? 'blue' : 'gray'}>
                        {m.role}
                      </Badge>
                    )}
                  </Table.Td>
                  {canManage && (
                    <Table.Td>
                      <Button size="xs" color="red" variant="light" onClick={() => setRemoving(m.githubLogin)} aria-label={`Remove ${m.githubLogin} from the team`}>
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

      <Modal opened={!!removing} onClose={() => setRemoving(undefined)} title="Remove from team?" centered>
        <Stack>
          <Text size="sm">
            {removing} leaves {teamName}. They stay a member of {org}.
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
      <Modal opened={confirmDelete} onClose={() => setConfirmDelete(false)} title="Delete team?" centered>
        <Stack>
          <Text size="sm">Deleting {teamName} revokes all of its tokens at once. This cannot be undone.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirmDelete(false)}>
              Cancel
            </Button>
            <Button color="red" onClick={() => void deleteTeam()}>
              Delete team
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
