import { Alert, Anchor, Button, Center, Code, Divider, Group, Loader, Modal, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, paths, type AuthPolicy, type OidcIssuer, type SavedAuthPolicy } from '../api';
import { ConfirmModal } from '../components/ConfirmModal';
import { useApiGet } from '../components/useApiGet';
import { notifyError, notifyOk } from '../errors';
import { useOrg } from '../pages/Org';
import { When } from '../time';
import { usePolicyDraft } from './draft';
import { formatSeconds, Thumbprints } from './format';
import { IssuerForm, type IssuerBody } from './IssuerForm';
import { oidcPath } from './paths';
import { PolicyEditor, useDraftCheck } from './PolicyEditor';
import { PolicyTester } from './PolicyTester';

/** One issuer: its settings, its auth policies and a dry run of their draft. */
export function IssuerPage() {
  const { name: org } = useOrg();
  const { issuerId = '' } = useParams();
  const navigate = useNavigate();
  const { data: issuer, error, reload } = useApiGet<OidcIssuer>(paths.oidcIssuer(org, issuerId));
  const { data: policy, error: policyError, reload: reloadPolicy } = useApiGet<AuthPolicy>(paths.issuerPolicy(org, issuerId));
  const draft = usePolicyDraft();
  const [check, setCheck] = useDraftCheck(org, issuerId, draft);
  const [editing, setEditing] = useState(false);
  const [confirm, setConfirm] = useState<'delete' | 'regenerate'>();

  // A loaded or saved list replaces the draft.
  useEffect(() => {
    if (policy) draft.reset(policy.policies);
  }, [policy]);

  if (error || policyError) return <Alert color="red" title="OIDC issuer">{error ?? policyError}</Alert>;
  if (!issuer || !policy || issuer.id !== issuerId) {
    return (
      <Center py="xl">
        <Loader aria-label="Loading issuer" />
      </Center>
    );
  }

  const update = async (body: IssuerBody) => {
    await api<OidcIssuer>('PATCH', paths.oidcIssuer(org, issuerId), body);
    notifyOk(`Issuer ${body.name} updated`);
    setEditing(false);
    await reload();
  };
  const regenerate = async () => {
    setConfirm(undefined);
    try {
      const r = await api<OidcIssuer>('POST', paths.regenerateThumbprints(org, issuerId));
      notifyOk(`Thumbprints regenerated: ${r.thumbprints.length} recorded`);
      await reload();
    } catch (err) {
      notifyError(err, 'Could not regenerate the thumbprints');
    }
  };
  const remove = async () => {
    try {
      await api('DELETE', paths.oidcIssuer(org, issuerId));
      notifyOk(`Issuer ${issuer.name} deleted`);
      navigate(oidcPath(org));
    } catch (err) {
      setConfirm(undefined);
      notifyError(err, 'Could not delete the issuer');
    }
  };
  // The save's own warnings are shown until the draft changes again.
  const saved = (s: SavedAuthPolicy) => {
    setCheck({ warnings: s.warnings, problems: [] });
    void reloadPolicy();
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Anchor component={Link} to={oidcPath(org)} size="sm">
            ← OIDC issuers
          </Anchor>
          <Title order={2}>OIDC issuer {issuer.name}</Title>
        </div>
        <Group gap="xs">
          <Button variant="default" onClick={() => setEditing(true)}>
            Edit issuer
          </Button>
          <Button variant="default" onClick={() => setConfirm('regenerate')}>
            Regenerate thumbprints
          </Button>
          <Button color="red" variant="light" onClick={() => setConfirm('delete')}>
            Delete issuer
          </Button>
        </Group>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
        <Field label="URL">
          <Code>{issuer.url}</Code>
        </Field>
        <Field label="Discovered issuer">
          <Code>{issuer.issuer}</Code>
        </Field>
        <Field label="Thumbprints">
          <Thumbprints values={issuer.thumbprints} full />
        </Field>
        <Field label="Keys">{issuer.jwks ? `static key set (${issuer.jwks.keys.length})` : 'fetched from the issuer'}</Field>
        <Field label="Max expiration">{formatSeconds(issuer.maxExpiration)}</Field>
        <Field label="Last used">
          <When at={issuer.lastUsed} />
        </Field>
        <Field label="Registered">
          <When at={issuer.created} />
        </Field>
        <Field label="Modified">
          <When at={issuer.modified} />
        </Field>
      </SimpleGrid>

      <Divider my="sm" />
      <PolicyEditor org={org} policy={policy} draft={draft} check={check} onSaved={saved} />
      <Divider my="sm" />
      <PolicyTester org={org} issuerId={issuerId} draft={draft} />

      <Modal opened={editing} onClose={() => setEditing(false)} title={`Edit issuer ${issuer.name}`} centered size="lg">
        <IssuerForm issuer={issuer} submitLabel="Save" onSubmit={update} onCancel={() => setEditing(false)} />
      </Modal>
      <ConfirmModal opened={confirm === 'regenerate'} title="Regenerate thumbprints?" confirmLabel="Regenerate" onCancel={() => setConfirm(undefined)} onConfirm={() => void regenerate()}>
        Tessera fetches the discovery document and keys again, with full certificate validation but without the current pins, and from then on accepts only the certificates that
        serve them now.
      </ConfirmModal>
      <ConfirmModal opened={confirm === 'delete'} title="Delete issuer?" confirmLabel="Delete issuer" onCancel={() => setConfirm(undefined)} onConfirm={() => void remove()}>
        Deleting {issuer.name} deletes its policies; its tokens can no longer be exchanged. Tokens already exchanged stay valid until they expire. This cannot be undone.
      </ConfirmModal>
    </Stack>
  );
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" fw={700}>
        {label}
      </Text>
      <div style={{ wordBreak: 'break-all', fontSize: 'var(--mantine-font-size-sm)' }}>{children}</div>
    </div>
  );
}
