import { fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { aHold, aLifecycle } from '../testing/fakes';
import { LifecycleChip, lifecycleLabel } from './LifecycleChip';

describe('LifecycleChip', () => {
  it('names the source when not active', () => {
    expect(lifecycleLabel({ status: 'active' })).toBe('active');
    expect(lifecycleLabel({ status: 'suspended', source: 'portal' })).toBe(
      'suspended · portal',
    );
    expect(lifecycleLabel({ status: 'terminating', source: 'git' })).toBe(
      'terminating · git',
    );
    expect(lifecycleLabel({ status: 'terminated', source: 'portal' })).toBe(
      'terminated · portal',
    );
  });

  it.each([
    ['active', undefined, 'active', '#2e7d32'],
    ['suspended', 'portal', 'suspended · portal', '#ed6c02'],
    ['terminating', 'git', 'terminating · git', '#d32f2f'],
    ['terminated', 'portal', 'terminated · portal', '#757575'],
  ] as const)(
    'shows %s (%s) in its own colour',
    async (status, source, label, background) => {
      await renderInTestApp(
        <LifecycleChip lifecycle={aLifecycle({ status, source })} />,
      );
      const chip = screen.getByTestId('lifecycle-chip');
      expect(chip).toHaveAttribute('data-status', status);
      expect(chip).toHaveAttribute('data-source', source ?? '');
      expect(chip).toHaveTextContent(new RegExp(`^${label}$`));
      expect(within(chip).getByTestId('status-chip')).toHaveStyle({
        background,
      });
    },
  );

  it('says who suspended it, when and why, in its tooltip', async () => {
    const lifecycle = aLifecycle({
      status: 'suspended',
      source: 'portal',
      hold: aHold({ at: '2026-12-07T09:00:00Z' }),
    });
    expect(lifecycle.description).toBe(
      'suspended in the portal by anna.schmidt@dezky.example on 2026-12-07: unpaid invoices',
    );
    await renderInTestApp(<LifecycleChip lifecycle={lifecycle} />);
    const chip = screen.getByTestId('lifecycle-chip');
    expect(chip).toHaveAttribute('title', lifecycle.description);
    fireEvent.mouseOver(chip);
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      lifecycle.description,
    );
  });
});
