"""The models, one module per aggregate. Importing this package registers them all."""
from backend.models.audit import AuditEntry
from backend.models.departments import Department
from backend.models.people import AuthToken, Grant, User
from backend.models.regions import Region

__all__ = ["AuditEntry", "AuthToken", "Department", "Grant", "Region", "User"]
