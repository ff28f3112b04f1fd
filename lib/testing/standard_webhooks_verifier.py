"""An independent Standard Webhooks verifier, written from the specification (spec 1.0, "Verifying
webhook authenticity": symmetric signatures), for tests that check what Linkpulse sends with code that
shares nothing with Linkpulse's own signing (lib/webhooks/signature.ts).

Reads one JSON object per line on stdin:
    {"secret": "whsec_...", "headers": {"webhook-id": ..., "webhook-timestamp": ..., "webhook-signature": ...},
     "body": "<the raw body>", "now": <unix seconds, optional>}
and writes one JSON object per line on stdout: {"ok": true} or {"ok": false, "reason": "..."}.
Python 3 standard library only.
"""
import base64
import hashlib
import hmac
import json
import sys
import time

TOLERANCE_SECONDS = 5 * 60


def verify(secret, headers, body, now):
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "missing header"
    if not secret.startswith("whsec_"):
        return "secret is not whsec_"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return "timestamp is not an integer"
    if abs(now - sent_at) > TOLERANCE_SECONDS:
        return "timestamp outside tolerance"
    key = base64.b64decode(secret[len("whsec_"):])
    signed_content = f"{msg_id}.{timestamp}.{body}".encode("utf-8")
    expected = base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode("ascii")
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no matching v1 signature"


for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    reason = verify(request["secret"], request["headers"], request["body"], request.get("now", int(time.time())))
    sys.stdout.write(json.dumps({"ok": reason is None} if reason is None else {"ok": False, "reason": reason}) + "\n")
    sys.stdout.flush()
