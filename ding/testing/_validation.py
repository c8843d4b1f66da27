"""Request validation: the fake's 400 answers and the parsing of request bodies.

Each helper raises `ApiError` for a request the real API would refuse; the
state machine turns it into the real error body ``{"code", "message",
"doc_url"}``.
"""

from __future__ import annotations

import ipaddress
import re
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

import attrs

from ding._schema._phone import impossible_reason
from ding.testing._values import Reply

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ding.testing._values import FakeSettings

__all__ = [
    "UUID_PATTERN",
    "ApiError",
    "CreateRequest",
    "bad_request",
    "json_object",
    "parse_create",
    "required_str",
    "valid_customer",
    "valid_phone",
]

_DOC_URL: Final = "https://docs.prelude.so/verify/v1/documentation/errors#"
_E164: Final = re.compile(r"\+[1-9][0-9]{1,14}")
UUID_PATTERN: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_DEVICE_TYPES: Final = frozenset({"IOS", "ANDROID", "WEB"})
_OPTIONAL_STRINGS: Final = (
    "device_id",
    "app_version",
    "sender_id",
    "app_realm",
    "os_version",
    "device_model",
    "template_id",
    "correlation_id",
    "locale",
)
_SIGNAL_NAMES: Final = (
    "ip",
    "device_id",
    "device_type",
    "app_version",
    "app_realm",
    "os_version",
    "device_model",
    "is_returning_user",
)

_FIXED_MESSAGES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "blocked_number": "The phone number is in the blocklist.",
        "unsupported_region": "Ding does not support this region yet.",
        "invalid_line": "Ding does not support this type of phone number.",
        "negative_balance": "You have a negative balance.",
        "app_realm_require_device_type": "app_realm requires device_type to be set.",
        "unsupported_app_realm_device_type": (
            "app_realm is only supported with device_type ANDROID."
        ),
        "no_associated_auth_found": "No authentication was found for this phone number.",
    }
)


class ApiError(Exception):
    """An error answer, raised while handling a request."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = _FIXED_MESSAGES.get(code, code) if message is None else message

    def reply(self) -> Reply:
        return Reply(
            status=400,
            body={
                "code": self.code,
                "message": self.message,
                "doc_url": _DOC_URL + self.code,
            },
        )


def bad_request(message: str) -> ApiError:
    return ApiError("bad_request", message)


def json_object(body: object) -> dict[str, object]:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return cast("dict[str, object]", body)


def required_str(fields: Mapping[str, object], name: str) -> str:
    value = fields.get(name)
    if value is None:
        raise bad_request(f"The field {name} is required.")
    if not isinstance(value, str):
        raise bad_request(f"The field {name} must be a string.")
    return value


def _optional_str(fields: Mapping[str, object], name: str) -> str | None:
    value = fields.get(name)
    if value is None or isinstance(value, str):
        return value
    raise bad_request(f"The field {name} must be a string.")


def _optional_bool(fields: Mapping[str, object], name: str) -> bool | None:
    value = fields.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise bad_request(f"The field {name} must be a boolean.")


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _is_http_url(value: str) -> bool:
    if any(c.isspace() or not c.isprintable() for c in value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(host)


def valid_customer(value: str, settings: FakeSettings) -> str:
    if not UUID_PATTERN.fullmatch(value):
        raise ApiError("account_invalid", f"{value} is not a valid customer UUID.")
    customer = value.lower()
    if settings.strict and customer not in {c.lower() for c in settings.customer_uuids}:
        raise ApiError("account_invalid", f"The customer UUID {value} is invalid.")
    return customer


def valid_phone(value: str) -> str:
    """Return *value* if the API would take it as a phone number.

    The contract (../shared/ding-api/CONTRACT.md, §2.2 and §6) says what
    ``invalid_phone_number`` means: "not a valid E.164 number", the shape
    ``+`` and 1 to 15 digits. E.164 also assigns the country codes and, per
    country, the lengths of its numbers, so with ``phonenumbers`` installed
    a number no plan allows (``+999123``: no such country code; ``+33612``:
    too short for France) is refused too. A number of possible length in
    an existing country code that no plan lists yet is taken: nothing in
    the contract says the API refuses it, and a fake stricter than the API
    would fail code that works (and change with each ``phonenumbers``
    release). The SDK refuses exactly the same numbers before sending.
    """
    if not _E164.fullmatch(value) or impossible_reason(value) is not None:
        raise ApiError("invalid_phone_number", f"{value} is not a valid phone number")
    return value


@attrs.frozen(kw_only=True)
class CreateRequest:
    customer_uuid: str
    phone_number: str
    signals: dict[str, Any]
    sender_id: str | None
    template_id: str | None
    correlation_id: str | None
    callback_url: str | None
    app_realm: str | None


def parse_create(body: object, settings: FakeSettings) -> CreateRequest:
    fields = json_object(body)
    customer = required_str(fields, "customer_uuid")
    phone = required_str(fields, "phone_number")
    values: dict[str, Any] = {n: _optional_str(fields, n) for n in _OPTIONAL_STRINGS}
    device_type = _optional_str(fields, "device_type")
    if device_type is not None and device_type not in _DEVICE_TYPES:
        raise bad_request("The field device_type must be one of IOS, ANDROID, WEB.")
    ip = _optional_str(fields, "ip")
    if ip is not None and not _is_ipv4(ip):
        raise bad_request("The field ip must be an IPv4 address.")
    callback_url = _optional_str(fields, "callback_url")
    if callback_url is not None and not _is_http_url(callback_url):
        raise bad_request("The field callback_url must be an absolute http(s) URL.")
    values.update(
        ip=ip,
        device_type=device_type,
        is_returning_user=_optional_bool(fields, "is_returning_user"),
    )
    customer = valid_customer(customer, settings)
    phone = valid_phone(phone)
    if values["app_realm"] is not None:
        if device_type is None:
            raise ApiError("app_realm_require_device_type")
        if device_type != "ANDROID":
            raise ApiError("unsupported_app_realm_device_type")
    return CreateRequest(
        customer_uuid=customer,
        phone_number=phone,
        signals={n: values[n] for n in _SIGNAL_NAMES if values[n] is not None},
        sender_id=values["sender_id"],
        template_id=values["template_id"],
        correlation_id=values["correlation_id"],
        callback_url=callback_url,
        app_realm=values["app_realm"],
    )
