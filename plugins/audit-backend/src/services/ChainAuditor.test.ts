import { mockServices } from '@backstage/backend-test-utils';
import { AuditEventInput } from '@internal/plugin-audit-common';
import { ChainAuditor } from './ChainAuditor';

function auditorWith(record: (inputs: AuditEventInput[]) => Promise<any>) {
  const logger = mockServices.logger.mock();
  const auditor = new ChainAuditor({
    pluginId: 'catalog',
    trail: { record: jest.fn(record) },
    httpAuth: mockServices.httpAuth.mock(),
    logger,
  });
  return { auditor, logger };
}

describe('ChainAuditor', () => {
  it('surfaces a failure to record: logged as an error and thrown to the caller', async () => {
    const { auditor, logger } = auditorWith(async () => {
      throw new Error('database is read-only');
    });
    const event = await auditor.createEvent({
      eventId: 'entity-mutate',
      severityLevel: 'medium',
      meta: { actionType: 'delete', uid: 'u-1' },
    });
    await expect(event.success()).rejects.toThrow('database is read-only');
    expect(logger.error).toHaveBeenCalledWith(
      expect.stringMatching(
        /AUDIT EVENT NOT RECORDED: catalog\.entity-mutate\.delete \(success\).*read-only/,
      ),
    );
  });

  it('records system events without a request, and keeps reads out of the chain', async () => {
    const recorded: AuditEventInput[] = [];
    const { auditor } = auditorWith(async inputs => {
      recorded.push(...inputs);
      return [];
    });
    const mutate = await auditor.createEvent({
      eventId: 'location-mutate',
      severityLevel: 'high',
      meta: { actionType: 'create' },
    });
    await mutate.fail({ error: new TypeError('bad location') });
    const read = await auditor.createEvent({ eventId: 'entity-fetch' });
    await read.success();
    expect(recorded).toEqual([
      expect.objectContaining({
        action: 'catalog.location-mutate.create',
        outcome: 'failure',
        actor: { type: 'system', ref: 'plugin:catalog' },
        source: 'catalog',
        metadata: {
          actionType: 'create',
          severity: 'high',
          error: { name: 'TypeError', message: 'bad location' },
        },
      }),
    ]);
  });
});
