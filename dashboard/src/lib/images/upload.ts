// Uploading one file to POST /api/v1/assets with progress (XMLHttpRequest: fetch reports no upload
// progress), as the signed-in creator: same-origin cookie plus the CSRF token from /api/v1/auth/me.
export interface UploadResult<T> {
  status: number;
  body: T | undefined;
  /** The server's error message (the API's error envelope), when it refused. */
  error: string | undefined;
}

export function uploadFile<T>(file: Blob, name: string, csrfToken: string, onProgress: (fraction: number) => void): Promise<UploadResult<T>> {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/api/v1/assets');
    request.setRequestHeader('X-CSRF-Token', csrfToken);
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener('load', () => {
      const body = request.response as (T & { error?: { message?: string } }) | null;
      const ok = request.status >= 200 && request.status < 300;
      if (ok) onProgress(1);
      resolve({
        status: request.status,
        body: ok ? (body ?? undefined) : undefined,
        error: ok ? undefined : (body?.error?.message ?? `The upload failed (HTTP ${request.status})`),
      });
    });
    request.addEventListener('error', () => resolve({ status: 0, body: undefined, error: 'The connection failed; check your network and try again' }));
    const form = new FormData();
    form.append('file', file, name);
    request.send(form);
  });
}
