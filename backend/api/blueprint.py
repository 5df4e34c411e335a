"""The Blueprint every face declares its routes with: flask-smorest's, parsing requests
through the edge parser (backend.api.parsing), pages through it too."""
from __future__ import annotations

from flask_smorest import Blueprint as SmorestBlueprint

from backend.api.parsing import EDGE_PARSER


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = EDGE_PARSER
    PAGINATION_ARGUMENTS_PARSER = EDGE_PARSER
