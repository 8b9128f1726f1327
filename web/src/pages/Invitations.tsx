import { Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { api, paths, type InvitationList } from '../api';
import { DataTable } from '../components/DataTable';
import { LoadedList } from '../components/LoadedList';
import { useApiGet } from '../components/useApiGet';
import { notifyError, notifyOk } from '../errors';
import { useSession } from '../session';
import { Expires, When } from '../time';

/** The signed-in person's pending invitations to organizations: accept or decline each. */
export function InvitationsPage() {
  const { refreshUser } = useSession();
  const { data, error, reload } = useApiGet<InvitationList>(paths.myInvitations());
  const [busy, setBusy] = useState<string>();

  const answer = async (id: string, organization: string, accept: boolean) => {
    setBusy(id);
    try {
      if (accept) {
        await api('POST', paths.acceptInvitation(id));
        notifyOk(`You joined ${organization}`);
        // The organization now belongs in the menus.
        await refreshUser();
      } else {
        await api('POST', paths.declineInvitation(id));
        notifyOk(`Invitation to ${organization} declined`);
      }
      await reload();
    } catch (err) {
      notifyError(err, accept ? 'Could not accept the invitation' : 'Could not decline the invitation');
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Stack>
      <Title order={2}>Invitations</Title>
      <Text size="sm" c="dimmed">
        Organization admins invite you; you become a member only when you accept. Invitations expire after 7 days.
      </Text>
      <LoadedList items={data?.invitations} error={error} loadingLabel="Loading invitations" empty={<Text>No pending invitations.</Text>}>
        {(invitations) => (
          <DataTable label="Pending invitations" minWidth={640} columns={['Organization', 'Role', 'Invited by', 'Invited', 'Expires']} actions>
            {invitations.map((i) => (
              <Table.Tr key={i.id}>
                <Table.Td>{i.organization}</Table.Td>
                <Table.Td>{i.role}</Table.Td>
                <Table.Td>{i.invitedBy}</Table.Td>
                <Table.Td>
                  <When at={i.created} />
                </Table.Td>
                <Table.Td>
                  <Expires at={i.expires} />
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap" justify="flex-end">
                    <Button size="xs" loading={busy === i.id} aria-label={`Accept the invitation to ${i.organization}`} onClick={() => void answer(i.id, i.organization, true)}>
                      Accept
                    </Button>
                    <Button size="xs" variant="default" disabled={busy === i.id} aria-label={`Decline the invitation to ${i.organization}`} onClick={() => void answer(i.id, i.organization, false)}>
                      Decline
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
    </Stack>
  );
}
