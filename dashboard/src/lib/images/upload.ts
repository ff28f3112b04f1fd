// Uploading an image to POST /api/v1/assets with progress. fetch reports no upload progress, so this
// request goes through the same typed client as every other (CSRF header, error envelope) but is
// sent by an XMLHttpRequest underneath, which does.
import { api, call, type ApiResult, type Schemas } from '$lib/api/client';

/** fetch's shape on top of XMLHttpRequest, reporting the share of the body sent so far. */
function fetchWithUploadProgress(onProgress: (fraction: number) => void): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = await request.blob();
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(request.method, request.url);
      request.headers.forEach((value, name) => xhr.setRequestHeader(name, value));
      xhr.responseType = 'blob';
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener('load', () => {
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
        // A 204 may not carry a body, not even an empty one.
        resolve(new Response(xhr.status === 204 ? null : (xhr.response as Blob), { status: xhr.status, statusText: xhr.statusText, headers }));
      });
      // As fetch fails: a TypeError, which the client reports as no connection.
      xhr.addEventListener('error', () => reject(new TypeError('The connection failed')));
      xhr.send(body);
    });
  };
}

/** Uploads one image as the signed-in creator; the stored asset, or the message to show. */
export async function uploadImage(file: Blob, name: string, onProgress: (fraction: number) => void): Promise<ApiResult<Schemas['Asset']>> {
  const result = await call(
    api.POST('/api/v1/assets', {
      body: { file },
      // multipart/form-data, with the file's name (the browser sets the boundary).
      bodySerializer: ({ file: content }) => {
        const form = new FormData();
        form.append('file', content, name);
        return form;
      },
      fetch: fetchWithUploadProgress(onProgress),
    }),
  );
  if (result.ok) onProgress(1);
  return result;
}
