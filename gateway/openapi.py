"""The OpenAPI document: request bodies from the contract models, errors, Basic security."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import TypeAdapter

from api_client.contract import BookingBody, BookingResponse, GroupListResponse
from api_client.contract.recurrence import GroupOwnerSeries
from api_client.contract.responses import BookingPage, DeletedResponse

from .bodies import (
    ACTION_OPTIONS,
    ActionMessage,
    BulkSchema,
    MoveOptions,
    SeriesCancelBody,
    SetMaxSeatsOptions,
)

REF = "#/components/schemas/{model}"
ACTIONS = (
    "cancel",
    "cancel_by_customer",
    "cancel_by_owner",
    "complete",
    "accept_offer",
    "decline_offer",
    "move",
    "set_max_seats",
    "check_in",
)

_SCHEMAS: dict[str, Any] = {
    "BookingBody": BookingBody,
    "GroupOwnerSeries": GroupOwnerSeries,
    "ActionMessage": ActionMessage,
    "MoveOptions": MoveOptions,
    "SetMaxSeatsOptions": SetMaxSeatsOptions,
    "BulkBody": BulkSchema,
    "SeriesCancelBody": SeriesCancelBody,
    "BookingResponse": BookingResponse,
    "GroupListResponse": GroupListResponse,
    "BookingPage": BookingPage,
    "DeletedResponse": DeletedResponse,
}
_HANDWRITTEN: dict[str, Any] = {
    "ActionBody": {
        "title": "ActionBody",
        "type": "object",
        "description": (
            'Keyed by the action in the path, as in {"cancel": {"message": ...}}; move needs '
            '{"move": {"owner_booking_id": ...}}, set_max_seats {"set_max_seats": {"max_seats": '
            "...}}."
        ),
        "properties": {
            action: {"$ref": REF.format(model=ACTION_OPTIONS.get(action, ActionMessage).__name__)}
            for action in ACTIONS
        },
        "additionalProperties": False,
        "maxProperties": 1,
    },
    "Error": {
        "title": "Error",
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
    "Job": {
        "title": "Job",
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "object",
                "required": ["job_id", "state"],
                "properties": {"job_id": {"type": "string"}, "state": {"enum": ["pending"]}},
            }
        },
    },
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def json_body(name: str, *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` for a JSON body that the route reads itself (whatever its label)."""
    media = {"schema": ref(name)}
    return {"requestBody": {"required": required, "content": {"application/json": media}}}


def responses(*statuses: int, ok: tuple[int, str] | None = None) -> dict[int | str, Any]:
    """Declared responses: the success status with its schema, the rest as errors."""
    declared: dict[int | str, Any] = {
        status: {"description": "refused", "content": _json(ref("Error"))}
        # 403: a widget key outside the two endpoints it may use.
        for status in (401, 403, 422, 504, *statuses)
    }
    if ok is not None:
        status, schema = ok
        declared[status] = {"description": "done", "content": _json(ref(schema))}
    return declared


def pending() -> dict[int | str, Any]:
    return {
        202: {
            "description": "still running: poll the job in Location",
            "content": _json(ref("Job")),
            "headers": {"Location": {"schema": {"type": "string"}}},
        }
    }


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def components() -> dict[str, Any]:
    schemas: dict[str, Any] = dict(_HANDWRITTEN)
    for name, annotation in _SCHEMAS.items():
        schema = TypeAdapter(annotation).json_schema(ref_template=REF)
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    return schemas


def install(app: FastAPI) -> None:
    """Serve a document whose bodies, errors and security match what the routes do."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            found = schema.setdefault("components", {})
            found.setdefault("schemas", {}).update(components())
            found["securitySchemes"] = {"apiKey": {"type": "http", "scheme": "basic"}}
            schema["security"] = [{"apiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
