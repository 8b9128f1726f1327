import { Text } from '@mantine/core';
import { Route, Routes } from 'react-router';
import { useOrg } from '../pages/Org';
import { ExchangesPage } from './ExchangesPage';
import { IssuerPage } from './IssuerPage';
import { IssuersPage } from './IssuersPage';

/** Everything under /orgs/:org/oidc (organization admins), loaded on first visit. */
export default function OidcSection() {
  const { isAdmin } = useOrg();
  if (!isAdmin) return <Text>Only organization admins can manage OIDC issuers.</Text>;
  return (
    <Routes>
      <Route index element={<IssuersPage />} />
      <Route path="issuers/:issuerId" element={<IssuerPage />} />
      <Route path="exchanges" element={<ExchangesPage />} />
    </Routes>
  );
}
