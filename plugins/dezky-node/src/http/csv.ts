import type { Response } from 'express';

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line
 * break. A text starting with = + - @ a tab or a carriage return is
 * prefixed with ' so that a spreadsheet does not run it as a formula (CSV
 * injection); numbers are written as they are (a negative amount stays a
 * number).
 *
 * @public
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record, CRLF-terminated. @public */
export function csvRecord(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * Sends a small table as a CSV download (`text/csv`, `attachment`): the
 * header, then one record per row, the cells read by `keys`. For large or
 * streamed exports write records with {@link csvRecord} yourself.
 *
 * @public
 */
export function sendCsv(
  res: Response,
  filename: string,
  keys: readonly string[],
  rows: Iterable<Record<string, unknown>>,
): void {
  let body = csvRecord(keys);
  for (const row of rows) body += csvRecord(keys.map(k => row[k]));
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader(
    'Content-Disposition',
    `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
  );
  res.send(body);
}
