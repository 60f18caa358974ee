import { screen } from '@testing-library/react';
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { healthApiRef } from './api';
import { aStatus, fakeHealthApi } from './testing/fakes';
import healthPlugin from './index';

describe('healthPlugin', () => {
  it('provides the page, the API and the integration tab', () => {
    expect(healthPlugin.pluginId).toBe('health');
    expect(healthPlugin.getExtension('api:health')).toBeDefined();
    expect(healthPlugin.getExtension('page:health')).toBeDefined();
    expect(
      healthPlugin.getExtension('entity-content:health/integration'),
    ).toBeDefined();
  });

  it('mounts the Infrastructure page at /infrastructure', async () => {
    const api = fakeHealthApi({ getStatus: jest.fn(async () => [aStatus()]) });
    renderTestApp({
      features: [healthPlugin],
      apis: [[healthApiRef, api], mockApis.permission()],
      initialRouteEntries: ['/infrastructure'],
    });
    expect(await screen.findByText('Stalwart mail')).toBeInTheDocument();
  });
});
