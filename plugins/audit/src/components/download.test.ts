import { csvFileName } from './download';

it('names the CSV file by day', () => {
  expect(csvFileName(new Date(2026, 10, 5, 23, 59))).toBe('audit-20261105.csv');
});
