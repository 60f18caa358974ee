import { AuditApi, AuditEventsQueryWithTier } from '../api';

/**
 * Fetches the CSV with the user's token (a plain link would go without it)
 * and saves it through a temporary object URL as audit-YYYYMMDD.csv.
 */
export async function downloadCsv(
  api: AuditApi,
  query: AuditEventsQueryWithTier,
): Promise<void> {
  const blob = await api.exportCsv(query);
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = csvFileName(new Date());
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // give the browser a moment to start the download before releasing it
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

/** The CSV file name for a download on a day: audit-YYYYMMDD.csv. */
export function csvFileName(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `audit-${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(
    date.getDate(),
  )}.csv`;
}
