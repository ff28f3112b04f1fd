// The receiver's side of a delivery, as the dashboard shows it next to a new signing secret: Node's
// crypto only, the Standard Webhooks scheme (HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<raw
// body>", keyed with the base64 bytes after "whsec_"; each "v1,<base64>" of webhook-signature is one
// valid signature). verification-snippet.test.ts runs this exact text against signed deliveries.
export const NODE_VERIFICATION_SNIPPET = `import { createHmac, timingSafeEqual } from 'node:crypto';

// secret: the whsec_… value. rawBody: the request body as received, before JSON.parse.
export function verifyWebhook(secret, headers, rawBody) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  if (!id || !timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(\`\${id}.\${timestamp}.\${rawBody}\`).digest();
  // One signature per valid secret (two while a rotated secret is honoured).
  return (headers['webhook-signature'] ?? '').split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
`;
