import { Alert, Anchor, Button, Code, Group, List, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, paths, type OidcIssuer, type OidcIssuerList } from '../api';
import { DataTable } from '../components/DataTable';
import { LoadedList } from '../components/LoadedList';
import { useApiGet } from '../components/useApiGet';
import { notifyOk } from '../errors';
import { useOrg } from '../pages/Org';
import { When } from '../time';
import { formatSeconds, Thumbprint, Thumbprints } from './format';
import { IssuerForm, type IssuerBody } from './IssuerForm';
import { oidcPath } from './paths';

/** The organization's OIDC issuers, and registering a new one. */
export function IssuersPage() {
  const { name: org } = useOrg();
  const { data, error, reload } = useApiGet<OidcIssuerList>(paths.oidcIssuers(org));
  const [registering, setRegistering] = useState(false);

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>OIDC issuers · {org}</Title>
        <Group gap="xs">
          <Button component={Link} to={oidcPath(org, 'exchanges')} variant="default">
            Exchange attempts
          </Button>
          <Button onClick={() => setRegistering(true)}>Register issuer</Button>
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        Workloads exchange ID tokens from these issuers for short-lived access tokens at <Code>POST /api/oauth/token</Code>, as each issuer's auth policies allow. Changing issuers or policies asks for your password again when you last entered it more than 10 minutes ago.
      </Text>
      <LoadedList items={data?.oidcIssuers} error={error} errorTitle="Could not load the issuers" loadingLabel="Loading issuers" empty={<Text c="dimmed">No issuers yet. Use "Register issuer" to add one.</Text>}>
        {(issuers) => (
          <DataTable label="OIDC issuers" minWidth={820} columns={['Name', 'URL', 'Thumbprints', 'Max expiration', 'Last used']}>
            {issuers.map((i) => (
              <Table.Tr key={i.id}>
                <Table.Td>
                  <Anchor component={Link} to={oidcPath(org, 'issuers', i.id)} fw={500}>
                    {i.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ wordBreak: 'break-all' }}>
                    {i.url}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Thumbprints values={i.thumbprints} />
                </Table.Td>
                <Table.Td>{formatSeconds(i.maxExpiration)}</Table.Td>
                <Table.Td>
                  <When at={i.lastUsed} />
                </Table.Td>
              </Table.Tr>
            ))}
          </DataTable>
        )}
      </LoadedList>
      {registering && <RegisterModal org={org} onClose={() => setRegistering(false)} onRegistered={reload} />}
    </Stack>
  );
}

function RegisterModal({ org, onClose, onRegistered }: { org: string; onClose(): void; onRegistered(): Promise<void> }) {
  const navigate = useNavigate();
  const [issuer, setIssuer] = useState<OidcIssuer>();

  const register = async (body: IssuerBody) => {
    const created = await api<OidcIssuer>('POST', paths.oidcIssuers(org), body);
    setIssuer(created);
    notifyOk(`Issuer ${created.name} registered`);
    await onRegistered();
  };

  return (
    <Modal opened onClose={onClose} title={issuer ? 'Issuer registered' : 'Register OIDC issuer'} centered size="lg">
      {issuer ? (
        <Stack>
          <Text size="sm">Tessera read the issuer's discovery document and keys:</Text>
          <List size="sm" spacing="xs">
            <List.Item>
              Discovered issuer: <Code>{issuer.issuer}</Code>
            </List.Item>
            <List.Item>
              Thumbprints recorded:{' '}
              {issuer.thumbprints.length > 0 ? issuer.thumbprints.map((t) => <Thumbprint key={t} value={t} full />) : 'none (no TLS certificate to pin)'}
            </List.Item>
            <List.Item>Keys: {issuer.jwks ? `the static key set (${issuer.jwks.keys.length} key${issuer.jwks.keys.length === 1 ? '' : 's'})` : 'fetched from the issuer'}</List.Item>
          </List>
          <Alert color="yellow" title="No policies yet">
            An issuer without policies denies every exchange. Add allow policies that name the workloads that may exchange tokens.
          </Alert>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Done
            </Button>
            <Button onClick={() => navigate(oidcPath(org, 'issuers', issuer.id))}>Edit its policies</Button>
          </Group>
        </Stack>
      ) : (
        <IssuerForm submitLabel="Register" onSubmit={register} onCancel={onClose} />
      )}
    </Modal>
  );
}
