"""The flask-smorest Api: OpenAPI 3 at /api/openapi.json, errors in the one shape."""
from __future__ import annotations

from flask_smorest import Api as SmorestApi
from flask_smorest.pagination import PaginationMetadataSchema
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from backend.api import errors
from backend.services.errors import DomainError

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

    def _register_pagination_header(self):
        """X-Pagination as it is sent: one JSON object as the header's value (flask-smorest
        documents a bare object schema, which OpenAPI reads as key=value pairs)."""
        self.spec.components.header("PAGINATION", {
            "description": "the page as sent: one JSON object (total, total_pages, first_page, "
                           "last_page, page, previous_page, next_page; pages counted from 1)",
            "content": {"application/json": {"schema": PaginationMetadataSchema}}}, lazy=True)

    def handle_http_exception(self, error):
        return errors.handle_http_exception(error)

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, errors.handle_domain_error)
        self._app.register_error_handler(IntegrityError, errors.handle_integrity_error)
        self._app.register_error_handler(StaleDataError, errors.handle_stale)
        self._app.register_error_handler(DataError, errors.handle_data_error)
        for unavailable in errors.UNAVAILABLE:
            self._app.register_error_handler(unavailable, errors.handle_unavailable)
        self._app.register_error_handler(Exception, errors.handle_unexpected)

