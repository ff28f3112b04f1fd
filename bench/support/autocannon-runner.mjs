// The load generator of bench/support/load.ts, run as its own process so it never shares the served
// process's event loop: autocannon with the options given as JSON in argv[2], printing its JSON result.
// With forwardedFor, each request comes from the next address of 198.18.0.0/15 (RFC 2544's range for
// benchmarks) in X-Forwarded-For: many visitors, not one, as ingest limits each address.
import autocannon from 'autocannon';

const { url, connections, seconds, method = 'GET', headers = {}, body, forwardedFor = false } = JSON.parse(process.argv[2]);
let sent = 0;
const nextAddress = () => {
  const n = sent++ % 131_072;
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`;
};
const result = await autocannon({
  url,
  connections,
  duration: seconds,
  timeout: 10,
  requests: [
    {
      method,
      headers,
      body,
      ...(forwardedFor ? { setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-forwarded-for': nextAddress() } }) } : {}),
    },
  ],
});
process.stdout.write(JSON.stringify(result));
