"""County departments and stationed teams."""
from __future__ import annotations

from flask import g

from backend.api.blueprint import Blueprint
from backend.api.schemas import ID
from backend.console import schemas
from backend.extensions import db
from backend.models import Department
from backend.services import access
from backend.services.people import departments

blp = Blueprint("console_departments", __name__, url_prefix="/api/console/departments",
                description="County departments (职能部门) and their stationed teams")


@blp.route("", methods=["GET"])
@blp.arguments(schemas.DepartmentQuerySchema, location="query")
@blp.response(200, schemas.DepartmentSchema(many=True))
def list_departments(query):
    """Departments the user may see."""
    return departments.listing(g.viewer, query.get("region_id"))


@blp.route("", methods=["POST"])
@blp.arguments(schemas.DepartmentCreateSchema)
@blp.response(201, schemas.DepartmentSchema)
def create_department(body):
    """Add a county department, or a team it stations in a township."""
    dept = departments.create(g.viewer, body)
    db.session.commit()
    return dept


@blp.route(f"/<{ID}:dept_id>", methods=["GET"])
@blp.response(200, schemas.DepartmentSchema)
def get_department(dept_id):
    """One department."""
    return access.get_visible(g.viewer, Department, dept_id)


@blp.route(f"/<{ID}:dept_id>", methods=["PATCH"])
@blp.arguments(schemas.DepartmentUpdateSchema)
@blp.response(200, schemas.DepartmentSchema)
def update_department(body, dept_id):
    """Rename or deactivate a department."""
    dept = departments.update(g.viewer, dept_id, body)
    db.session.commit()
    return dept
