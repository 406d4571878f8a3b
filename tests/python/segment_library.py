"""Drives `sma serve` with Segment's official Python library (segment-analytics-python),
host pointed at the server, then checks through /api/user/{id} that every call landed.

Usage: python segment_library.py BASE_URL WRITE_KEY
"""

import json
import sys
import urllib.request
import uuid

import segment.analytics as analytics


def main(base_url: str, write_key: str) -> int:
    run = uuid.uuid4().hex[:8]
    user_id, laptop, phone = f"py-user-{run}", f"py-laptop-{run}", f"py-phone-{run}"
    errors = []
    analytics.write_key = write_key
    analytics.host = base_url
    analytics.on_error = lambda error, batch: errors.append(repr(error))
    analytics.max_retries = 0

    landing = "https://acme.io/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=june"
    analytics.page(anonymous_id=laptop, name="Pricing",
                   properties={"url": landing, "referrer": ""},
                   context={"page": {"url": landing, "referrer": ""}})
    analytics.page(anonymous_id=phone, name="Home",
                   properties={"url": "https://acme.io/", "referrer": "https://www.google.com/"})
    analytics.identify(user_id, {"email": f"{user_id}@example.com"}, anonymous_id=laptop)
    analytics.alias(phone, user_id)
    analytics.track(user_id, "Signed Up", {"revenue": 99.0, "plan": "pro"})
    analytics.group(user_id, "acme-inc", {"name": "Acme"})
    analytics.screen(user_id, "Mobile", "Dashboard", anonymous_id=phone)
    analytics.flush()
    analytics.shutdown()
    if errors:
        print("the library reported errors:", errors)
        return 1

    with urllib.request.urlopen(f"{base_url}/api/user/{user_id}") as response:
        user = json.load(response)
    types = sorted(e["type"] for e in user["events"])
    expected = sorted(["page", "page", "identify", "alias", "track", "group", "screen"])
    checks = {
        "every call landed": types == expected,
        "both devices linked": sorted(user["devices"]) == sorted([laptop, phone]),
        "track name kept": any(e.get("event") == "Signed Up" for e in user["events"]),
        "page url kept": any(e.get("url") == landing for e in user["events"]),
    }
    for name, ok in checks.items():
        print(("ok   " if ok else "FAIL ") + name)
    if not all(checks.values()):
        print(json.dumps(user, indent=2))
        return 1
    print(f"{len(checks)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
