import { screen } from '@testing-library/react';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { flagsApiRef } from './api';
import { aFlag, fakeFlagsApi } from './testing/fakes';
import flagsPlugin from './index';

describe('flagsPlugin', () => {
  it('provides the page, the API and the tenant tab', () => {
    expect(flagsPlugin.pluginId).toBe('flags');
    // the ids are typed: a wrong one does not compile
    expect(flagsPlugin.getExtension('api:flags')).toBeDefined();
    expect(flagsPlugin.getExtension('page:flags')).toBeDefined();
    expect(
      flagsPlugin.getExtension('entity-content:flags/tenant'),
    ).toBeDefined();
  });

  it('mounts the Flags page at /flags', async () => {
    const api = fakeFlagsApi({ listFlags: jest.fn(async () => [aFlag()]) });
    renderTestApp({
      features: [flagsPlugin],
      apis: [[flagsApiRef, api]],
      initialRouteEntries: ['/flags'],
    });
    expect(await screen.findByText('gdpr_export_v2')).toBeInTheDocument();
  });
});
