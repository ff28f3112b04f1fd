"""Schemathesis hooks for scripts/fuzz-api.sh.

The API document (GET /api/v1/openapi.json) states in words what JSON Schema cannot: rules between
two fields of one request. These hooks apply exactly those documented rules, so that a refused
schema-valid request still means that the API and its document disagree:
- map_query and map_body move generated values into what the rules allow (keeping their written
  form), so that the fuzzing phases reach the queries behind the validation;
- filter_failure drops a refusal of a request that breaks one of these rules, and only when the
  API named the rule's own fields: the coverage phase builds its boundary values without the map
  hooks (two equal instants, the earliest one with compare=previous). It also drops the refusal of
  an upload whose bytes the API found not to be an image it decodes (the file's description says
  so; a declared image type does not make bytes an image, and the fuzzer sends other files too),
  and of a new password the API found too easy to guess (the field's description says how it is
  judged: zxcvbn's score, which no schema can state). And an A/B test's destinations: their weights
  add up to 100 and their URLs differ (the body's description; lib/links/ab-test.ts).
Each names the rule and the code it mirrors; change them together. Values that do not parse are
left alone: they are the fuzzer's invalid data, which must be refused.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import schemathesis

# api/analytics/range.ts
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN = timedelta(days=5 * 366)
MAX_FUTURE = timedelta(days=1)
# An instant written in 2001 lies after EARLIEST whatever its offset (at most a day off UTC).
FIRST_YEAR = 2001
# The analytics reads with a range: a profile's, and a shared dashboard's batch (api/shares).
ANALYTICS_PATH = r"/analytics/(?!realtime)|/shared/\{token\}/dashboard"
SCHEDULED_OPERATIONS = ["createLink", "updateLink"]
# lib/links/ab-test.ts abVariantProblems: the weights (percent) add up to 100, the destinations differ.
AB_TEST_OPERATIONS = ["startLinkAbTest"]
WEIGHT_TOTAL = 100
AB_TEST_FIELD = re.compile(r"body\.variants(\.\d+\.url)?")
# api/assets/image.ts: the reasons for refusing bytes that are not an image we decode.
NOT_AN_IMAGE = {"unsupported_type", "undecodable"}
# api/auth/auth.service.ts requireStrongPassword: the operations and fields under the password rule.
NEW_PASSWORD_FIELDS = {
    "signUp": "body.password",
    "changePassword": "body.newPassword",
    "resetPassword": "body.newPassword",
    # api/shares/shares.service.ts newPasswordHash: a shared dashboard's password, under the same rule.
    "createSharedDashboard": "body.password",
    "updateSharedDashboard": "body.password",
}

INSTANT = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")


def parse_instant(value: object) -> datetime | None:
    """An RFC 3339 date-time as the API reads it (api/http/schemas.ts Instant), or None."""
    if not isinstance(value, str):
        return None
    match = INSTANT.fullmatch(value)
    if match is None:
        return None
    fraction = (match.group(7) or "")[:7]  # Python keeps microseconds; the API milliseconds
    offset = "+00:00" if match.group(8) == "Z" else match.group(8)
    try:
        return datetime.fromisoformat(value[:19] + fraction + offset)
    except ValueError:
        return None


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def with_year(value: str, year: int, later: bool = False) -> str:
    """The same date-time written in another year (29 February moves to the nearest leap year
    before it, or after it when `later`)."""
    if value[5:10] == "02-29":
        while not is_leap(year):
            year += 1 if later else -1
    return f"{year:04d}{value[4:]}"


def fold(value: str, now: datetime) -> str:
    """An instant outside [EARLIEST, now] written in a year from 2001 to last year, keeping its form."""
    instant = parse_instant(value)
    if instant is None or EARLIEST <= instant <= now:
        return value
    return with_year(value, FIRST_YEAR + (int(value[:4]) - FIRST_YEAR) % (now.year - FIRST_YEAR))


@schemathesis.hook.apply_to(path_regex=ANALYTICS_PATH)
def map_query(context, query):
    """The analytics range rules (the `from` parameter's description, api/analytics/range.ts): the
    range starts at 2000-01-01T00:00:00Z or later and ends at most a day after now, from is before
    to, it spans at most 5 years, and with compare=previous the previous period starts at
    2000-01-01T00:00:00Z or later. to defaults to now, from to 7 days before to."""
    if not isinstance(query, dict):
        return query
    now = datetime.now(timezone.utc)
    query = dict(query)
    for key in ("from", "to"):
        if isinstance(query.get(key), str):
            query[key] = fold(query[key], now)
    start, end = parse_instant(query.get("from")), parse_instant(query.get("to"))
    if (query.get("from") is not None and start is None) or (query.get("to") is not None and end is None):
        return query
    if start is not None and end is not None:
        if start > end:
            query["from"], query["to"] = query["to"], query["from"]
            start, end = end, start
        if start == end:
            del query["from"]
            start = None
    if start is None and end is not None and end - DEFAULT_SPAN < EARLIEST:
        query["to"] = with_year(query["to"], FIRST_YEAR)
        end = parse_instant(query["to"])
    last = end or now
    first = start or last - DEFAULT_SPAN
    if last - first > MAX_SPAN:
        # Four years before the end's year: less than 5 years before it, and still before it (a
        # 29 February moves forward, at most to the year before the end's).
        query["from"] = with_year(query["from"], last.year - 4, later=True)
        first = parse_instant(query["from"])
    if query.get("compare") == "previous" and first - (last - first) < EARLIEST:
        del query["compare"]
    return query


def destination_key(url: str) -> str:
    """A destination as the API compares them, roughly: link-url.ts normalises (a bare host gains "/")."""
    return url.lower().rstrip("/")


def even_weights(count: int) -> list[int]:
    """lib/links/ab-test.ts evenWeights: 50/50, 34/33/33, 25×4."""
    base = WEIGHT_TOTAL // count
    return [base + (1 if index < WEIGHT_TOTAL - base * count else 0) for index in range(count)]


def map_ab_test(body: dict) -> dict:
    """An A/B test's destinations: weights split evenly (so they add up to 100), repeated URLs told
    apart by a fragment (the documented pattern allows one)."""
    variants = body.get("variants")
    if not isinstance(variants, list) or not 2 <= len(variants) <= 4 or not all(isinstance(variant, dict) for variant in variants):
        return body
    weights = [variant.get("weight") for variant in variants]
    # JSON Schema's integers include 19.0, which Schemathesis sends as a float.
    if not all(isinstance(weight, (int, float)) and not isinstance(weight, bool) and float(weight).is_integer() and 1 <= weight <= 99 for weight in weights):
        return body
    mapped = []
    seen: set[str] = set()
    for index, (variant, weight) in enumerate(zip(variants, even_weights(len(variants)))):
        variant = dict(variant, weight=weight)
        url = variant.get("url")
        if isinstance(url, str):
            if destination_key(url) in seen:
                url = f"{url}{'' if '#' in url else '#'}v{index}"
                variant["url"] = url
            seen.add(destination_key(url))
        mapped.append(variant)
    return dict(body, variants=mapped)


@schemathesis.hook.apply_to(operation_id=SCHEDULED_OPERATIONS + AB_TEST_OPERATIONS)
def map_body(context, body):
    """A link's schedule (the request body's description, api/links/links.routes.ts): endsAt is
    after startsAt. An A/B test's destinations (map_ab_test)."""
    if not isinstance(body, dict):
        return body
    if "variants" in body:
        return map_ab_test(body)
    starts, ends = parse_instant(body.get("startsAt")), parse_instant(body.get("endsAt"))
    if starts is None or ends is None or starts < ends:
        return body
    body = dict(body)
    if starts == ends:
        body["endsAt"] = None
    else:
        body["startsAt"], body["endsAt"] = body["endsAt"], body["startsAt"]
    return body


def breaks_range_rules(query: dict, now: datetime) -> bool:
    """Whether an analytics query breaks a range rule (api/analytics/range.ts rangeProblems)."""
    start, end = parse_instant(query.get("from")), parse_instant(query.get("to"))
    if (query.get("from") is not None and start is None) or (query.get("to") is not None and end is None):
        return False
    end = end or now
    start = start or end - DEFAULT_SPAN
    if end > now + MAX_FUTURE or start < EARLIEST or start >= end or end - start > MAX_SPAN:
        return True
    return query.get("compare") == "previous" and start - (end - start) < EARLIEST


def breaks_schedule(body: object) -> bool:
    """Whether a link body's startsAt is not before its endsAt (api/links/links.routes.ts)."""
    if not isinstance(body, dict):
        return False
    starts, ends = parse_instant(body.get("startsAt")), parse_instant(body.get("endsAt"))
    return starts is not None and ends is not None and starts >= ends


def breaks_ab_test_rules(body: object) -> bool:
    """Whether a test's weights do not add up to 100, or two destinations are the same."""
    variants = body.get("variants") if isinstance(body, dict) else None
    if not isinstance(variants, list) or not all(isinstance(variant, dict) for variant in variants):
        return False
    weights = [variant.get("weight") for variant in variants]
    urls = [destination_key(variant["url"]) for variant in variants if isinstance(variant.get("url"), str)]
    sums_wrong = all(isinstance(weight, int) for weight in weights) and sum(weights) != WEIGHT_TOTAL
    return sums_wrong or len(set(urls)) < len(urls)


def error_details(response) -> dict:
    try:
        details = response.json()["error"].get("details")
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
    return details if isinstance(details, dict) else {}


def refused_fields(response) -> set[str]:
    fields = error_details(response).get("fields")
    return {entry.get("field") for entry in fields if isinstance(entry, dict)} if isinstance(fields, list) else set()


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keeps every failure but a refused request that breaks a documented cross-field rule."""
    if failure.code != "ST202":
        return True
    if case.operation.definition.raw.get("operationId") == "uploadAsset":
        return not (response.status_code in (400, 415) and error_details(response).get("reason") in NOT_AN_IMAGE)
    if response.status_code != 400:
        return True
    fields = refused_fields(response)
    password_field = NEW_PASSWORD_FIELDS.get(case.operation.definition.raw.get("operationId"))
    if password_field is not None:
        return not (fields == {password_field} and error_details(response).get("reason") == "weak_password")
    if re.search(ANALYTICS_PATH, case.operation.path) and isinstance(case.query, dict):
        rule_fields = {"query.from", "query.to", "query.compare"}
        return not (fields and fields <= rule_fields and breaks_range_rules(case.query, datetime.now(timezone.utc)))
    if case.operation.definition.raw.get("operationId") in SCHEDULED_OPERATIONS:
        return not (fields == {"body.endsAt"} and breaks_schedule(case.body))
    if case.operation.definition.raw.get("operationId") in AB_TEST_OPERATIONS:
        return not (fields and all(AB_TEST_FIELD.fullmatch(field) for field in fields) and breaks_ab_test_rules(case.body))
    return True
