"""Schemas of the catalogue, shared by both faces (the form and the console editor)."""
from __future__ import annotations

import marshmallow as ma


class CategorySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String(metadata={"description": "community | township | county: who handles it"})
    urgency = ma.fields.String()
    departments = ma.fields.List(ma.fields.String(), metadata={"description": "default lead first"})
    fields = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "extra form fields, Open311 service-attribute style"})
    active = ma.fields.Boolean()


class CategoryNodeSchema(ma.Schema):
    category = ma.fields.Nested(CategorySchema)
    children = ma.fields.List(ma.fields.Nested(lambda: CategoryNodeSchema()))
