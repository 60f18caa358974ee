/*
 * The Provisioning page's view in the URL (phase, step, status, the
 * tenants' lifecycle status, page, page size) and the API filters it makes.
 */
import { SERVER_PAGE_SIZES } from '@internal/plugin-dezky-react';
import {
  PROVISIONING_STEPS,
  ProvisioningStep,
  STEP_STATUSES,
  StepStatus,
  TENANT_PHASES,
  TENANT_STATUSES,
  TenantPhase,
  TenantStatus,
} from '@internal/plugin-provisioning-common';
import { ListTenantsFilters } from '../api';

/** The rows per page the table offers (the first is the default): the shared server-paged table's. */
export const PAGE_SIZES = SERVER_PAGE_SIZES;

/** What the page shows; `''` is no filter. `page` counts from 0 (from 1 in the URL). */
export interface ProvisioningView {
  phase: TenantPhase | '';
  step: ProvisioningStep | '';
  status: StepStatus | '';
  /** The tenants' effective status (active, suspended, terminating, terminated). */
  lifecycle: TenantStatus | '';
  page: number;
  pageSize: number;
}

const DEFAULT_VIEW: ProvisioningView = {
  phase: '',
  step: '',
  status: '',
  lifecycle: '',
  page: 0,
  pageSize: PAGE_SIZES[0],
};

const oneOf = <T extends string>(values: readonly T[], value: string | null) =>
  values.includes(value as T) ? (value as T) : '';

/** The view of a URL query; a value the page does not know is no filter. */
export function readView(params: URLSearchParams): ProvisioningView {
  const page = Number(params.get('page'));
  const pageSize = Number(params.get('pageSize'));
  return {
    phase: oneOf(TENANT_PHASES, params.get('phase')),
    step: oneOf(PROVISIONING_STEPS, params.get('step')),
    status: oneOf(STEP_STATUSES, params.get('status')),
    lifecycle: oneOf(TENANT_STATUSES, params.get('lifecycle')),
    page: Number.isInteger(page) && page > 1 ? page - 1 : 0,
    pageSize: (PAGE_SIZES as readonly number[]).includes(pageSize)
      ? pageSize
      : DEFAULT_VIEW.pageSize,
  };
}

/** The URL query of a view: only what differs from the default, other parameters kept. */
export function viewParams(
  view: ProvisioningView,
  previous: URLSearchParams,
): URLSearchParams {
  const next = new URLSearchParams(previous);
  const values: Record<string, string> = {
    phase: view.phase,
    step: view.step,
    status: view.status,
    lifecycle: view.lifecycle,
    page: view.page > 0 ? String(view.page + 1) : '',
    pageSize:
      view.pageSize !== DEFAULT_VIEW.pageSize ? String(view.pageSize) : '',
  };
  for (const [param, value] of Object.entries(values)) {
    if (value) next.set(param, value);
    else next.delete(param);
  }
  return next;
}

/**
 * The API filters of a view. A step narrows a status (that step in that
 * status), so it is sent only with one.
 */
export function viewFilters(view: ProvisioningView): ListTenantsFilters {
  const filters: ListTenantsFilters = {
    limit: view.pageSize,
    offset: view.page * view.pageSize,
  };
  if (view.phase) filters.phase = view.phase;
  if (view.lifecycle) filters.lifecycle = view.lifecycle;
  if (view.status) {
    filters.status = view.status;
    if (view.step) filters.step = view.step;
  }
  return filters;
}
