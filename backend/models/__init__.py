"""The models, one module per aggregate. Importing this package registers them all."""
from backend.models.audit import AuditEntry
from backend.models.cases import Case, CaseLog, CasePhoto, CaseSupport, Deadline, Summons
from backend.models.catalogue import CalendarDay, Category, UrgencyClass
from backend.models.clients import ApiClient, IdempotencyKey
from backend.models.departments import Department
from backend.models.media import Photo, PhotoOwner
from backend.models.orders import (
                                   LedgerEntry,
                                   Order,
                                   OrderLog,
                                   PayNotice,
                                   ReconciliationMismatch,
                                   ReconciliationRun,
                                   Refund,
                                   Settlement,
)
from backend.models.outbox import OutboxEffect, SubscribeCredit
from backend.models.people import AuthToken, Grant, User
from backend.models.providers import (
                                   Offering,
                                   OfferingArea,
                                   OfferingSlot,
                                   Provider,
                                   ProviderArea,
                                   ProviderDocument,
                                   ProviderLog,
)
from backend.models.regions import Region
from backend.models.scheduler import SchedulerHeartbeat
from backend.models.versions import ReferenceVersion

__all__ = ["ApiClient", "AuditEntry", "AuthToken", "CalendarDay", "Case", "CaseLog", "CasePhoto",
           "CaseSupport", "Category", "Deadline", "Department", "Grant", "IdempotencyKey",
           "LedgerEntry", "Offering", "OfferingArea", "OfferingSlot", "Order", "OrderLog",
           "OutboxEffect", "PayNotice", "Photo", "PhotoOwner", "Provider", "ProviderArea",
           "ProviderDocument", "ProviderLog", "ReconciliationMismatch", "ReconciliationRun",
           "ReferenceVersion", "Refund", "Region", "SchedulerHeartbeat", "Settlement",
           "SubscribeCredit", "Summons", "UrgencyClass", "User"]
