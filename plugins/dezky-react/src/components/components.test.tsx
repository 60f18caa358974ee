import { useState } from 'react';
import { fireEvent, screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { ConfirmDialog } from './ConfirmDialog';
import { DezkyTable } from './DezkyTable';
import { FilterSelect } from './FilterSelect';
import { PageState } from './PageState';
import { StatusChip, statusTone } from './StatusChip';

describe('ConfirmDialog', () => {
  it('asks, and confirms or cancels; busy disables both', async () => {
    const onConfirm = jest.fn();
    const onCancel = jest.fn();
    const { rerender } = await renderInTestApp(
      <ConfirmDialog
        open
        title="Delete beta?"
        confirmLabel="Delete"
        danger
        onConfirm={onConfirm}
        onCancel={onCancel}
      >
        It is gone for every tenant.
      </ConfirmDialog>,
    );
    expect(
      screen.getByRole('dialog', { name: 'Delete beta?' }),
    ).toHaveTextContent('It is gone for every tenant.');
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onConfirm).toHaveBeenCalledTimes(1);
    expect(onCancel).toHaveBeenCalledTimes(1);
    rerender(
      <ConfirmDialog
        open
        busy
        title="Delete beta?"
        confirmLabel="Delete"
        onConfirm={onConfirm}
        onCancel={onCancel}
      />,
    );
    expect(screen.getByRole('button', { name: 'Delete' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeDisabled();
  });

  it('keeps the confirming button disabled while confirmDisabled, Cancel not', async () => {
    await renderInTestApp(
      <ConfirmDialog
        open
        confirmDisabled
        title="Terminate acme?"
        confirmLabel="Terminate"
        onConfirm={jest.fn()}
        onCancel={jest.fn()}
      />,
    );
    expect(screen.getByRole('button', { name: 'Terminate' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeEnabled();
  });
});

describe('StatusChip', () => {
  it('reads each status in its tone', async () => {
    expect(
      [
        'ok',
        'active',
        'production',
        'warn',
        'suspended',
        'bad',
        'terminated',
        'planned',
        'anything',
      ].map(statusTone),
    ).toEqual([
      'good',
      'good',
      'good',
      'warning',
      'warning',
      'bad',
      'bad',
      'neutral',
      'neutral',
    ]);
    await renderInTestApp(
      <StatusChip status="bad" data-testid="health-status" />,
    );
    const chip = screen.getByTestId('health-status');
    expect(chip).toHaveAttribute('data-status', 'bad');
    expect(chip).toHaveTextContent('bad');
    expect(chip).toHaveStyle({ background: '#d32f2f' });
  });

  it('reads its label when given one, keeping the status in data-status', async () => {
    await renderInTestApp(
      <StatusChip status="suspended" label="suspended · portal" />,
    );
    const chip = screen.getByTestId('status-chip');
    expect(chip).toHaveTextContent(/^suspended · portal$/);
    expect(chip).toHaveAttribute('data-status', 'suspended');
  });
});

describe('PageState', () => {
  it('shows the error, the progress, the empty state, or the content', async () => {
    const content = () => <p>the content</p>;
    const { rerender } = await renderInTestApp(
      <PageState loading error={new Error('catalog down')}>
        {content}
      </PageState>,
    );
    expect(screen.getByText('Error: catalog down')).toBeInTheDocument();
    rerender(<PageState loading>{content}</PageState>);
    expect(screen.getByTestId('progress')).toBeInTheDocument();
    rerender(
      <PageState
        loading={false}
        empty={{ title: 'No tenants', description: 'Add one in catalog/' }}
      >
        {content}
      </PageState>,
    );
    expect(screen.getByText('No tenants')).toBeInTheDocument();
    rerender(<PageState loading={false}>{content}</PageState>);
    expect(screen.getByText('the content')).toBeInTheDocument();
  });

  it('inline, renders each state without a page content around it', async () => {
    const content = () => <p>the content</p>;
    const { rerender } = await renderInTestApp(
      <PageState inline loading={false} error={new Error('catalog down')}>
        {content}
      </PageState>,
    );
    expect(screen.getByText('Error: catalog down')).toBeInTheDocument();
    expect(document.querySelector('article')).toBeNull();
    rerender(
      <PageState
        inline
        loading={false}
        empty={{ title: 'No tenants', description: 'Add one in catalog/' }}
      >
        {content}
      </PageState>,
    );
    expect(screen.getByText('No tenants')).toBeInTheDocument();
    expect(document.querySelector('article')).toBeNull();
    rerender(
      <PageState inline loading={false}>
        {content}
      </PageState>,
    );
    expect(screen.getByText('the content').parentElement?.tagName).not.toBe(
      'ARTICLE',
    );
    rerender(<PageState loading={false}>{content}</PageState>);
    expect(screen.getByText('the content').parentElement?.tagName).toBe(
      'ARTICLE',
    );
  });
});

describe('DezkyTable', () => {
  it('keeps column headers on one line and pages only past a page', async () => {
    const data = Array.from({ length: 3 }, (_, i) => ({ name: `t${i}` }));
    await renderInTestApp(
      <DezkyTable
        title="Tenants"
        columns={[{ title: 'Rollout experiment', field: 'name' }]}
        data={data}
      />,
    );
    const header = screen.getByRole('columnheader', {
      name: /Rollout experiment/,
    });
    expect(header).toHaveStyle({ whiteSpace: 'nowrap' });
    expect(screen.getAllByRole('row')).toHaveLength(4);
    expect(screen.queryByText(/rows/)).toBeNull();
  });

  it('puts the data attributes of rowProps on each row; rows with an id stay as they are when more come', async () => {
    const data = [
      { id: 1, name: 'acme', plan: 'business' },
      { id: 2, name: 'initech', plan: 'enterprise' },
    ];
    function Tenants() {
      const [rows, setRows] = useState(data);
      return (
        <>
          <button
            onClick={() =>
              setRows([...rows, { id: 3, name: 'umbrella', plan: 'x' }])
            }
          >
            More
          </button>
          <DezkyTable
            columns={[
              { title: 'Name', field: 'name' },
              { title: 'Plan', field: 'plan' },
            ]}
            data={rows}
            rowProps={t => ({
              'data-testid': 'tenant-row',
              'data-name': t.name,
            })}
          />
        </>
      );
    }
    await renderInTestApp(<Tenants />);
    const rows = screen.getAllByTestId('tenant-row');
    expect(rows.map(r => r.tagName)).toEqual(['TR', 'TR']);
    expect(rows[1]).toHaveAttribute('data-name', 'initech');
    expect(rows[1]).toHaveTextContent('initechenterprise');
    fireEvent.click(screen.getByRole('button', { name: 'More' }));
    const after = screen.getAllByTestId('tenant-row');
    expect(after).toHaveLength(3);
    expect(after[0]).toBe(rows[0]);
  });
});

describe('FilterSelect', () => {
  async function optionsOf(id: string) {
    fireEvent.mouseDown(within(screen.getByTestId(id)).getByRole('button'));
    return (await screen.findAllByRole('option')).map(o => o.textContent);
  }

  it('offers All (the empty value) before the options, and tells the choice', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <FilterSelect
        id="filter-state"
        label="State"
        value="open"
        options={['open', { value: 'paid', label: 'Paid' }]}
        onChange={onChange}
      />,
    );
    expect(await optionsOf('filter-state')).toEqual(['All', 'open', 'Paid']);
    fireEvent.click(screen.getByRole('option', { name: 'All' }));
    expect(onChange).toHaveBeenLastCalledWith('');
  });

  it('has no All for a choice that always has a value', async () => {
    const onChange = jest.fn();
    await renderInTestApp(
      <FilterSelect
        id="filter-interval"
        label="Interval"
        value="month"
        all={false}
        options={[
          { value: 'month', label: 'Month' },
          { value: 'day', label: 'Day' },
        ]}
        onChange={onChange}
      />,
    );
    expect(await optionsOf('filter-interval')).toEqual(['Month', 'Day']);
    fireEvent.click(screen.getByRole('option', { name: 'Day' }));
    expect(onChange).toHaveBeenLastCalledWith('day');
  });
});
