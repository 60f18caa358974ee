import { screen } from '@testing-library/react';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { auditApiRef } from './api';
import { fakeAuditApi } from './testing/fakes';
import auditPlugin from './index';

describe('auditPlugin', () => {
  it('provides the page, the API and the two entity tabs', () => {
    expect(auditPlugin.pluginId).toBe('audit');
    // the ids are typed: a wrong one does not compile
    expect(auditPlugin.getExtension('api:audit')).toBeDefined();
    expect(auditPlugin.getExtension('page:audit')).toBeDefined();
    expect(
      auditPlugin.getExtension('entity-content:audit/tenant'),
    ).toBeDefined();
    expect(
      auditPlugin.getExtension('entity-content:audit/partner'),
    ).toBeDefined();
  });

  it('mounts the Audit page at /audit', async () => {
    const api = fakeAuditApi();
    renderTestApp({
      features: [auditPlugin],
      apis: [[auditApiRef, api], mockApis.permission()],
      initialRouteEntries: ['/audit'],
    });
    expect(
      await screen.findByText('No audit events match these filters'),
    ).toBeInTheDocument();
  });
});
