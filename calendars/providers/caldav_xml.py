"""WebDAV/CalDAV request bodies and multistatus answers (RFC 4918, RFC 4791, RFC 6578, RFC 6764).

Bodies are built as ElementTree elements and serialised; answers are parsed with defusedxml (no
entity expansion, no external resources), never by string matching.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from defusedxml import ElementTree as SafeET

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
APPLE = "http://apple.com/ns/ical/"

ET.register_namespace("d", DAV)
ET.register_namespace("c", CALDAV)
ET.register_namespace("cs", CS)
ET.register_namespace("ical", APPLE)


def q(namespace: str, name: str) -> str:
    """A Clark name, ``{namespace}name``."""
    return f"{{{namespace}}}{name}"


# Properties by Clark name.
RESOURCETYPE = q(DAV, "resourcetype")
DISPLAYNAME = q(DAV, "displayname")
GETETAG = q(DAV, "getetag")
SYNC_TOKEN = q(DAV, "sync-token")
CURRENT_USER_PRINCIPAL = q(DAV, "current-user-principal")
CURRENT_USER_PRIVILEGE_SET = q(DAV, "current-user-privilege-set")
SUPPORTED_REPORT_SET = q(DAV, "supported-report-set")
CALENDAR_HOME_SET = q(CALDAV, "calendar-home-set")
CALENDAR_USER_ADDRESS_SET = q(CALDAV, "calendar-user-address-set")
CALENDAR_DATA = q(CALDAV, "calendar-data")
CALENDAR_TIMEZONE = q(CALDAV, "calendar-timezone")
SUPPORTED_COMPONENTS = q(CALDAV, "supported-calendar-component-set")
CALENDAR = q(CALDAV, "calendar")
GETCTAG = q(CS, "getctag")
CALENDAR_COLOR = q(APPLE, "calendar-color")

WRITE_PRIVILEGES = frozenset({q(DAV, "write"), q(DAV, "write-content"), q(DAV, "all"), q(DAV, "bind")})


def _document(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _props(parent: ET.Element, props: Iterable[str]) -> None:
    prop = ET.SubElement(parent, q(DAV, "prop"))
    for name in props:
        ET.SubElement(prop, name)


def propfind(*props: str) -> bytes:
    root = ET.Element(q(DAV, "propfind"))
    _props(root, props)
    return _document(root)


def sync_collection(token: str, *props: str) -> bytes:
    """RFC 6578 section 3.2: an empty token asks for every member."""
    root = ET.Element(q(DAV, "sync-collection"))
    ET.SubElement(root, q(DAV, "sync-token")).text = token
    ET.SubElement(root, q(DAV, "sync-level")).text = "1"
    _props(root, props)
    return _document(root)


def calendar_query(*props: str, time_range: tuple[datetime, datetime] | None = None) -> bytes:
    """RFC 4791 section 7.8: every VEVENT object (inside ``time_range`` when given)."""
    root = ET.Element(q(CALDAV, "calendar-query"))
    _props(root, props)
    calendar = ET.SubElement(ET.SubElement(root, q(CALDAV, "filter")), q(CALDAV, "comp-filter"), name="VCALENDAR")
    event = ET.SubElement(calendar, q(CALDAV, "comp-filter"), name="VEVENT")
    if time_range is not None:
        start, end = (moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") for moment in time_range)
        ET.SubElement(event, q(CALDAV, "time-range"), start=start, end=end)
    return _document(root)


def calendar_multiget(hrefs: Iterable[str], *props: str) -> bytes:
    root = ET.Element(q(CALDAV, "calendar-multiget"))
    _props(root, props)
    for href in hrefs:
        ET.SubElement(root, q(DAV, "href")).text = href
    return _document(root)


@dataclass
class Response:
    """One ``DAV:response``: its href, its own status (sync-collection removals) and the props found."""

    href: str
    status: int | None = None
    props: dict[str, ET.Element] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        element = self.props.get(name)
        if element is None or element.text is None:
            return None
        return element.text.strip()

    def hrefs(self, name: str) -> list[str]:
        """The ``DAV:href`` values inside a property (principal, home set, address set)."""
        element = self.props.get(name)
        if element is None:
            return []
        return [h.text.strip() for h in element.iter(q(DAV, "href")) if h.text and h.text.strip()]

    def children(self, name: str) -> set[str]:
        """Clark names of the elements directly or indirectly inside a property (resourcetype, privileges)."""
        element = self.props.get(name)
        if element is None:
            return set()
        return {child.tag for child in element.iter() if child is not element}

    def components(self) -> set[str] | None:
        """The supported calendar component names, or None when the server does not say."""
        element = self.props.get(SUPPORTED_COMPONENTS)
        if element is None:
            return None
        return {str(comp.get("name", "")).upper() for comp in element.iter(q(CALDAV, "comp"))}


@dataclass
class Multistatus:
    responses: list[Response]
    sync_token: str | None = None
    base: str = ""  # the URL that answered (after redirects): hrefs are relative to it


def _status_code(line: str | None) -> int | None:
    parts = (line or "").split()
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


def parse_multistatus(body: bytes) -> Multistatus:
    """Parse a 207 answer; raises ``ValueError`` when the body is not a DAV:multistatus."""
    try:
        root = SafeET.fromstring(body)
    except Exception as exc:  # defusedxml raises its own errors for forbidden constructs
        raise ValueError(f"the answer is not XML: {exc}") from exc
    if root.tag != q(DAV, "multistatus"):
        raise ValueError(f"expected DAV:multistatus, got {root.tag}")
    responses = []
    for element in root.findall(q(DAV, "response")):
        href = element.findtext(q(DAV, "href"), default="").strip()
        response = Response(href=href, status=_status_code(element.findtext(q(DAV, "status"))))
        for propstat in element.findall(q(DAV, "propstat")):
            status = _status_code(propstat.findtext(q(DAV, "status")))
            prop = propstat.find(q(DAV, "prop"))
            if prop is None or status is None or not 200 <= status < 300:
                continue
            for child in prop:
                response.props[child.tag] = child
        responses.append(response)
    token = root.findtext(q(DAV, "sync-token"))
    return Multistatus(responses, token.strip() if token else None)


def has_condition(body: bytes, name: str) -> bool:
    """Whether a ``DAV:error`` body names the precondition ``name`` (e.g. "{DAV:}valid-sync-token")."""
    try:
        root = SafeET.fromstring(body)
    except Exception:
        return False
    return root.tag == q(DAV, "error") and root.find(name) is not None
