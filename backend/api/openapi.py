"""The flask-smorest Api: OpenAPI 3 at /api/openapi.json, errors in the one shape."""
from __future__ import annotations

import flask
from flask_smorest import Api as SmorestApi
from flask_smorest.pagination import PaginationMetadataSchema
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from backend.api import errors
from backend.api.parsing import MAX_QUERY_INT
from backend.api.schemas import ID, MAX_ID, IdConverter
from backend.services.errors import DomainError
from backend.services.geo import lookup

# WGS-84 and GCJ-02 (the systems a client may send) differ by less than this in China, so
# the stored county's box widened by it holds every point the county takes in either.
COORDINATE_MARGIN_DEGREES = 0.01

API_SETTINGS = {
    "API_TITLE": "Shaobao (哨报)",
    "API_VERSION": "0.1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "token from POST /api/mp/auth/login"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                       "description": "a sensor's or external system's key (console api-clients)"}}},
    },
}


class Api(SmorestApi):
    ERROR_SCHEMA = errors.ErrorSchema

    def init_app(self, app, *, spec_kwargs=None):
        app.url_map.converters[ID] = IdConverter  # before any blueprint adds its rules
        super().init_app(app, spec_kwargs=spec_kwargs)
        self.register_converter(IdConverter, lambda _: {"type": "integer", "minimum": 1, "maximum": MAX_ID})

    def _register_pagination_header(self):
        """X-Pagination as it is sent: one JSON object as the header's value (flask-smorest
        documents a bare object schema, which OpenAPI reads as key=value pairs)."""
        self.spec.components.header("PAGINATION", {
            "description": "the page as sent: one JSON object (total, total_pages, first_page, "
                           "last_page, page, previous_page, next_page; pages counted from 1)",
            "content": {"application/json": {"schema": PaginationMetadataSchema}}}, lazy=True)

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)

    def _openapi_json(self):
        """The document, with the county's bounding box as the minimum and maximum of every
        coordinate the server locates (a point outside it is refused as outside_county; the
        box comes from the regions loaded, so it is filled in when the document is served)."""
        document = self.spec.to_dict()
        try:
            box = _county_box()
        except errors.UNAVAILABLE:  # the document is still served while the database is away
            box = None
        if box:
            _state_box(document, box)
        _state_query_bound(document)
        return flask.current_app.response_class(flask.json.dumps(document, indent=2, sort_keys=False),
                                                mimetype="application/json")

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, errors.handle_domain_error)
        self._app.register_error_handler(IntegrityError, errors.handle_integrity_error)
        self._app.register_error_handler(StaleDataError, errors.handle_stale)
        self._app.register_error_handler(DataError, errors.handle_data_error)
        for unavailable in errors.UNAVAILABLE:
            self._app.register_error_handler(unavailable, errors.handle_unavailable)
        self._app.register_error_handler(Exception, errors.handle_unexpected)



def _county_box() -> dict | None:
    shapes = lookup.region_index().shapes
    if not shapes:
        return None
    bounds = [shape.bounds for shape in shapes]  # (min lng, min lat, max lng, max lat)
    margin = COORDINATE_MARGIN_DEGREES
    return {"lng": (min(b[0] for b in bounds) - margin, max(b[2] for b in bounds) + margin),
            "lat": (min(b[1] for b in bounds) - margin, max(b[3] for b in bounds) + margin)}


def _state_box(document: dict, box: dict) -> None:
    """Every property or parameter marked x-county-bounds gets the box's side as min/max."""
    marked = [prop for schema in document.get("components", {}).get("schemas", {}).values()
              for prop in schema.get("properties", {}).values()]
    marked += [parameter["schema"] for operations in document.get("paths", {}).values()
               for operation in operations.values() if isinstance(operation, dict)
               for parameter in operation.get("parameters", []) if "schema" in parameter]
    for prop in marked:
        axis = prop.get("x-county-bounds")
        if axis in box:
            prop["minimum"], prop["maximum"] = (round(v, 4) for v in box[axis])


def _state_query_bound(document: dict) -> None:
    """The parser bounds every integer in a query (page and ids alike): say so where the
    schema itself did not (flask-smorest's page parameter)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else ():
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "integer":
                    schema["maximum"] = min(schema.get("maximum", MAX_QUERY_INT), MAX_QUERY_INT)
