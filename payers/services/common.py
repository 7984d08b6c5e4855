"""What the writes of payers.services share: the validated save, and the audit's plain-Polish phrasing of a change."""

from collections.abc import Collection

from django.db import IntegrityError, transaction
from django.db.models import Model, Q, UniqueConstraint
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.models import AuditCategory
from core.services import audit_record

CHANGED = _("„{label}”: {old} → {new}")
EMPTY = _("(puste)")


def field_label(model: type[Model], field: str) -> Promise:
    return model._meta.get_field(field).verbose_name


def change_phrase(label: Promise, old, new) -> Promise:
    return format_lazy(CHANGED, label=label, old=_shown(old), new=_shown(new))


def _shown(value):
    return EMPTY if value in (None, "") else value


def save_validated(instance: Model, *, unchanged: Collection[str] = ()) -> None:
    """Validate and save; a unique name taken by a concurrent save is reported like any other duplicate.

    `unchanged`: in an edit of a row it holds locked, fields it leaves as they are, named only together with every
    field that shares a unique or check constraint with them. What was checked when they were saved — their
    validators, a foreign key's row, such a constraint — still holds, so the database is not asked again; and when no
    field of a unique constraint changes, the save cannot take a value another row holds and needs no savepoint to
    report one."""
    instance.full_clean(exclude=unchanged)
    if _unique_fields(type(instance)) <= set(unchanged):
        instance.save()
        return
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        instance.full_clean(exclude=unchanged)
        raise


def _unique_fields(model: type[Model]) -> set[str]:
    """The fields the model's unique constraints involve, their conditions' included; every field for a constraint
    on expressions."""
    meta = model._meta
    fields = {field.name for field in meta.concrete_fields if field.unique and not field.primary_key}
    fields.update(name for together in meta.unique_together for name in together)
    for constraint in meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            fields.update(constraint.fields or (field.name for field in meta.concrete_fields))
            if constraint.condition is not None:
                fields.update(Q(constraint.condition).referenced_base_fields)
    return fields


def audit(action: str, message: Promise, *, actor, request: HttpRequest | None, target: Model | None) -> None:
    audit_record(
        category=AuditCategory.CONFIGURATION,
        action=action,
        message=message,
        actor=actor,
        request=request,
        target=target,
    )
