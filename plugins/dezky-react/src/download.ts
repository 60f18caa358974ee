/*
 * Files the portal hands to the browser: a CSV export fetched with the
 * user's token (a plain link would go without it) and saved from memory.
 */

/**
 * Saves a blob as a download named `fileName`, through a temporary object
 * URL and a hidden link (released a moment later, once the browser has
 * started the download).
 *
 * @public
 */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

/**
 * The file name a response's `Content-Disposition: attachment;
 * filename="…"` gives, or `fallback` when it gives none (a path in it is
 * dropped: only the last segment is a name).
 *
 * @public
 */
export function attachmentFileName(
  response: Pick<Response, 'headers'>,
  fallback: string,
): string {
  const header = response.headers.get('content-disposition') ?? '';
  const match = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(header);
  const name = (match?.[1] ?? match?.[2] ?? '').split(/[\\/]/).pop()?.trim();
  return name ? name : fallback;
}
