import { saveFile } from '@internal/plugin-dezky-react';
import { AuditApi, AuditEventsQueryWithTier } from '../api';

/**
 * Fetches the CSV with the user's token (a plain link would go without it)
 * and saves it as audit-YYYYMMDD.csv.
 */
export async function downloadCsv(
  api: AuditApi,
  query: AuditEventsQueryWithTier,
): Promise<void> {
  saveFile(await api.exportCsv(query), csvFileName(new Date()));
}

/** The CSV file name for a download on a day: audit-YYYYMMDD.csv. */
export function csvFileName(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `audit-${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(
    date.getDate(),
  )}.csv`;
}
