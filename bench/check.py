"""Correctness before timing: every peer must answer every endpoint as the spec says."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from bench.drivers import Headers
from bench.endpoints import Endpoint
from bench.peers import Target


def _header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _expired(cookie: str) -> bool:
    """Whether a Set-Cookie line removes its cookie (Max-Age <= 0 or Expires in the past)."""
    for part in cookie.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        key = key.lower()
        if key == "max-age":
            try:
                return int(value) <= 0
            except ValueError:
                return False
        if key == "expires":
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return False
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            if when <= datetime.now(timezone.utc):
                return True
    return False


def check_response(endpoint: Endpoint, status: int, headers: Headers, body: bytes) -> list[str]:
    """Every way the response misses ``endpoint``'s expectations (empty when it is right)."""
    problems: list[str] = []
    if status != endpoint.status:
        problems.append(f"status {status}, expected {endpoint.status}")
    if endpoint.mimetype is not None:
        content_type = _header(headers, "content-type") or ""
        mimetype = content_type.split(";", 1)[0].strip().lower()
        if mimetype != endpoint.mimetype:
            problems.append(f"content-type {content_type!r}, expected {endpoint.mimetype}")
    length = _header(headers, "content-length")
    if length is not None and length.strip() != str(len(body)):
        problems.append(f"content-length {length!r} but the body has {len(body)} bytes")
    if endpoint.body is not None and body != endpoint.body:
        problems.append(f"body {body[:80]!r}, expected {endpoint.body[:80]!r}")
    if endpoint.json is not None:
        try:
            document: Any = json.loads(body)
        except ValueError:
            problems.append(f"body {body[:80]!r} is not JSON")
        else:
            if document != endpoint.json:
                problems.append(f"JSON {document!r}, expected {endpoint.json!r}")
    for name, value in endpoint.headers.items():
        got = _header(headers, name)
        if got != value:
            problems.append(f"header {name} is {got!r}, expected {value!r}")
    if endpoint.location is not None:
        location = _header(headers, "location")
        if location is None or urlsplit(location).path != endpoint.location:
            problems.append(f"location {location!r}, expected {endpoint.location!r}")
    if endpoint.set_cookie:
        cookies = [value for key, value in headers if key.lower() == "set-cookie"]
        name = endpoint.set_cookie[0].lower()
        line = next((c for c in cookies if c.lower().startswith(name)), None)
        if line is None:
            problems.append(f"no Set-Cookie for {endpoint.set_cookie[0]!r} in {cookies!r}")
        else:
            attributes = {part.strip().lower() for part in line.split(";")}
            missing = [f for f in endpoint.set_cookie[1:] if f.lower() not in attributes]
            if missing:
                problems.append(f"Set-Cookie {line!r} lacks {missing!r}")
            if endpoint.cookie_expired and not _expired(line):
                problems.append(f"Set-Cookie {line!r} does not expire the cookie")
    return problems


def check_target(target: Target, endpoints: tuple[Endpoint, ...]) -> dict[str, list[str]]:
    """Problems per endpoint name, for the endpoints where there are any."""
    failures: dict[str, list[str]] = {}
    for endpoint in endpoints:
        try:
            status, headers, body = target.call(endpoint)
        except Exception as error:
            failures[endpoint.name] = [f"raised {type(error).__name__}: {error}"]
            continue
        problems = check_response(endpoint, status, headers, body)
        if problems:
            failures[endpoint.name] = problems
    return failures
