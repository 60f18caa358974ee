import { attachmentFileName, saveFile } from './download';

describe('saveFile', () => {
  afterEach(() => jest.useRealTimers());

  it('clicks a hidden link to an object URL named as given, then releases the URL', () => {
    jest.useFakeTimers();
    const createObjectURL = jest.fn(() => 'blob:csv');
    const revokeObjectURL = jest.fn();
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicked: Array<{ href: string; download: string; inPage: boolean }> =
      [];
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function record(this: HTMLAnchorElement) {
        clicked.push({
          href: this.href,
          download: this.download,
          inPage: document.body.contains(this),
        });
      });
    const blob = new Blob(['a,b\r\n'], { type: 'text/csv' });

    saveFile(blob, 'mrr-2026-01-01-2026-12-09.csv');

    expect(createObjectURL).toHaveBeenCalledWith(blob);
    expect(clicked).toEqual([
      {
        href: 'blob:csv',
        download: 'mrr-2026-01-01-2026-12-09.csv',
        inPage: true,
      },
    ]);
    // the link is gone again; the URL is released after a moment
    expect(document.querySelectorAll('a')).toHaveLength(0);
    expect(revokeObjectURL).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1000);
    expect(revokeObjectURL).toHaveBeenCalledWith('blob:csv');
    click.mockRestore();
  });
});

describe('attachmentFileName', () => {
  const withHeader = (value?: string) =>
    new Response(
      '',
      value ? { headers: { 'content-disposition': value } } : {},
    );

  it.each([
    ['attachment; filename="payouts-2026-11.csv"', 'payouts-2026-11.csv'],
    ['attachment; filename=growth.csv', 'growth.csv'],
    ['attachment; filename="../../etc/passwd"', 'passwd'],
    ['attachment; filename=""', 'fallback.csv'],
    ['attachment', 'fallback.csv'],
    [undefined, 'fallback.csv'],
  ])('reads %p as %p', (header, name) => {
    expect(attachmentFileName(withHeader(header), 'fallback.csv')).toBe(name);
  });
});
