"""The OpenAPI 3 document, generated from the same marshmallow schemas that validate
requests. Views declare their contract with `@doc(...)`; `build_spec(app)` walks the
URL map once at start-up (the words and examples are in texts.py); create_app serves the result at /apispec_1.json with Swagger
UI at /apidocs/, and `python manage.py openapi` exports it (docs/api.md).

A custom field tells the document its type with an `openapi` class attribute (a JSON
schema fragment); fields get descriptions from their metadata or FIELD_TEXT by name;
tags (one per feature blueprint) from TAGS; the main flows carry examples (EXAMPLES).
"""

import inspect
import re
from decimal import Decimal
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from reedsailing.apidocs.texts import (
    AUTH_SECURITY,
    ERROR_SCHEMA,
    ERROR_TEXT,
    EXAMPLES,
    FIELD_TEXT,
    SOCKETIO_TEXT,
    TAGS,
)
from reedsailing.core.fields import MAX_ID


def _field_attributes(converter: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a custom field's `openapi`, FIELD_TEXT descriptions."""
    extra: dict[str, Any] = {}
    custom = getattr(type(field), "openapi", None)
    if custom:
        extra.update({key: value for key, value in custom.items() if key not in ret or key == "type"})
    if "description" not in ret and "description" not in extra and field.name in FIELD_TEXT:
        extra["description"] = FIELD_TEXT[field.name]
    return extra


def _plain(value: Any) -> Any:
    """The document as JSON can hold it: Decimal defaults become numbers."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def doc(
    *,
    body=None,
    query=None,
    response=None,
    status=200,
    many=False,
    errors=(),
    multipart=False,
    also=None,
    media=(),
):
    """Declare a view's contract for the API document.

    body/query: marshmallow schema classes (or instances) of the JSON body / query string.
    response: a schema, or a raw JSON-schema dict; `many` makes it an array.
    status: the success status; errors: extra error statuses beyond the inferred ones.
    also: other success answers, `{status: schema}`; media: the success answer is a file
    of these media types (an image, a spreadsheet) instead of JSON.
    """

    def decorator(view):
        view._apidoc = {
            "body": body,
            "query": query,
            "response": response,
            "status": status,
            "many": many,
            "errors": tuple(errors),
            "multipart": multipart,
            "also": dict(also or {}),
            "media": tuple(media),
        }
        return view

    return decorator


PATH_ARG = re.compile(r"<(?:([a-z_]+):)?([a-zA-Z_][a-zA-Z0-9_]*)>")


def build_spec(app):
    spec = APISpec(
        title="ReedSailing (一苇以航) API",
        version="2.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "REST API of the ReedSailing campus activity platform. Students send "
            "`Authorization: Bearer <token>` (from `POST /api/userLogin/`); super admins send "
            "`Token: <token>` (from `POST /api/adminLogIn/`). Errors are JSON with a `detail`."
            + SOCKETIO_TEXT
        },
        servers=[
            {"url": "/", "description": "this server"},
            {"url": app.config.get("PUBLIC_BASE_URL", "/"), "description": "PUBLIC_BASE_URL"},
        ],
        tags=[{"name": name, "description": text} for name, text in TAGS],
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("adminToken", {"type": "apiKey", "in": "header", "name": "Token"})
    spec.components.schema("Error", ERROR_SCHEMA)
    marshmallow_plugin = spec.plugins[0]
    marshmallow_plugin.converter.add_attribute_function(_field_attributes)

    def as_json_schema(schema, many=False):
        if schema is None:
            return None
        if isinstance(schema, dict):
            item = schema
        else:
            instance = schema() if isinstance(schema, type) else schema
            item = marshmallow_plugin.converter.resolve_nested_schema(
                type(instance) if instance.many else instance
            )
            if instance.many:
                item = {"type": "array", "items": item}
        return {"type": "array", "items": item} if many else item

    paths = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        info = getattr(view, "_apidoc", {}) or {}
        auth = view._auth  # every view declares it (auth.refuse_unguarded_views)
        path = PATH_ARG.sub(lambda m: f"{{{m.group(2)}}}", rule.rule)
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                # ids the int converter accepts: 1..2^31-1 (larger ones are not found)
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}
                if (converter := rule._converters.get(name))
                and type(converter).__name__ == "BoundedIntConverter"
                else {"type": "string"},
            }
            for name in rule.arguments
        ]
        docstring = inspect.getdoc(view) or rule.endpoint
        summary, _, description = docstring.partition("\n")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {
                "summary": summary.strip(),
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "tags": [rule.endpoint.split(".")[0]],
                "security": AUTH_SECURITY.get(auth, []),
                "responses": {},
            }
            if description.strip():
                operation["description"] = description.strip()
            params = list(parameters)
            if info.get("query") is not None:
                params.append({"in": "query", "schema": info["query"]})
            if params:
                operation["parameters"] = params
            if info.get("multipart"):
                operation["requestBody"] = {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["image"],
                                "properties": {"image": {"type": "string", "format": "binary"}},
                            }
                        }
                    },
                }
            elif info.get("body") is not None:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": info["body"]}},
                }
            example = EXAMPLES.get(operation["operationId"], {})
            if "request" in example and "requestBody" in operation:
                operation["requestBody"]["content"]["application/json"]["example"] = example["request"]
            status = info.get("status", 200)
            response = {"description": "Success"}
            if info.get("media"):
                # A file or a text document: its schema is given as a plain dict, if at all.
                given = info.get("response")
                body = given if isinstance(given, dict) else {"type": "string", "format": "binary"}
                response["content"] = dict.fromkeys(info["media"], {"schema": body})
            elif status != 204:
                schema = as_json_schema(info.get("response"), info.get("many", False))
                response["content"] = {"application/json": {"schema": schema or {"type": "object"}}}
                if "response" in example:
                    response["content"]["application/json"]["example"] = example["response"]
            operation["responses"][str(status)] = response
            for other, other_schema in info.get("also", {}).items():
                operation["responses"][str(other)] = {
                    "description": "Success",
                    "content": {"application/json": {"schema": as_json_schema(other_schema, False)}},
                }
            error_codes = set(info.get("errors", ()))
            if info.get("body") is not None or info.get("query") is not None or info.get("multipart"):
                error_codes.add(400)
            if auth != "public":
                error_codes.update({401, 403})
            if rule.arguments or auth != "public":
                # Ids in the path, the body or the query string may name nothing.
                error_codes.add(404)
            if method != "GET" and auth != "public":
                # A unique constraint can lose a race the service's own check did not see.
                error_codes.add(409)
            for code in sorted(error_codes):
                if code < 400:
                    operation["responses"][str(code)] = {"description": ERROR_TEXT.get(code, "")}
                    continue
                operation["responses"][str(code)] = {
                    "description": ERROR_TEXT.get(code, "Error"),
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return _plain(spec.to_dict())
