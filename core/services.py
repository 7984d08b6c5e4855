"""Writes shared by every app: the audit helper, re-encryption of stored secrets, nightly housekeeping and the request
of a background task that keeps at most one waiting."""

import logging
from datetime import timedelta

from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError

from core.actors import Actor
from core.crypto import secret_reencrypt
from core.fields import EncryptedSecretField
from core.middleware import client_address
from core.models import AuditCategory, AuditEvent, AuditOutcome, TaskRequest
from core.ratelimit import ratelimit_count, ratelimit_hit, ratelimit_key
from core.text import clinic_text

logger = logging.getLogger(__name__)

# How long the number of an event's unrecorded repeats waits for the next row of its kind to carry it.
AUDIT_REPEATS_KEPT_SECONDS = 7 * 24 * 3600


def audit_event(
    *,
    category: AuditCategory,
    action: str,
    message: str | Promise,
    actor=None,
    actor_label: str = "",
    target: models.Model | None = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """One audit event, not saved yet: `audit_record` saves one, a batch saves many with one bulk_create.

    The message is written for the clinic's administrator to read, and stored in the audit language (the clinic's,
    Polish) whatever language the request that caused it used: callers pass it marked lazily — gettext_lazy, or
    format_lazy of one with `join_lazy` for lists of phrases — and it is rendered here, under that language."""
    message = clinic_text(message)
    # A request with no user (a bare one in a test) or an anonymous one (the patient portal's) names nobody.
    user = getattr(request, "user", None)
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    if not actor_label:
        actor_label = actor.audit_label if actor is not None else Actor.SYSTEM
    return AuditEvent(
        actor=actor,
        actor_label=actor_label[:150],
        category=category,
        action=action,
        message=message,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:200] if target is not None else "",
        outcome=outcome,
        ip_address=client_address(request) if request is not None else None,
    )


def audit_record(**event) -> AuditEvent:
    """Record one audit event (the arguments of `audit_event`)."""
    recorded = audit_event(**event)
    recorded.save()
    return recorded


def audit_record_coalesced(**event) -> AuditEvent | None:
    """Record an event that requests nobody has authenticated can cause (a refused webhook delivery, a failed login
    of an unknown user) once per AUDIT_COALESCE_MINUTES for each kind and client address, so that a flood of them
    cannot fill the audit log, which nothing may delete. The first is recorded at once; its repeats within the window
    are only counted in the cache, and the next row of the same kind says how many there were. The arguments are those
    of `audit_event`, whose action and message as recorded make the kind; returns None for a repeat."""
    recorded = audit_event(**event)
    name = f"audit:{recorded.action}:{recorded.ip_address}:{recorded.message}"
    minutes = settings.AUDIT_COALESCE_MINUTES
    index, count = ratelimit_hit(name, seconds=minutes * 60, keep=AUDIT_REPEATS_KEPT_SECONDS)
    if count > 1:
        return None
    last = ratelimit_key(name, "last")
    previous = cache.get(last)
    cache.set(last, index, timeout=AUDIT_REPEATS_KEPT_SECONDS)
    repeats = ratelimit_count(name, index=previous) - 1 if previous is not None else 0
    if repeats > 0:
        summary = format_lazy(
            _("Powtórzenia w ciągu {minutes} min po poprzednim takim wpisie (policzone, niezapisane osobno): {count}."),
            minutes=minutes,
            count=repeats,
        )
        recorded = audit_event(**{**event, "message": format_lazy("{} {}", event["message"], summary)})
    recorded.save()
    return recorded


def housekeeping_run(*, now=None) -> dict[str, int]:
    """Drop expired sessions and login-failure counters whose cool-off has passed."""
    now = now or timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME).delete()
    return {"sessions": sessions, "login_attempts": attempts}


@transaction.atomic
def secrets_reencrypt(*, actor=None) -> dict[str, int]:
    """After a key rotation: every stored secret — each EncryptedSecretField of every model — encrypted under the
    current (first) key, all or nothing; a secret no configured key opens raises CryptoError and changes nothing.
    Returns how many were re-encrypted, per model and field."""
    counts: dict[str, int] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedSecretField):
                continue
            rows = model._default_manager.exclude(**{field.name: ""}).values_list("pk", field.name)
            # A conditional update per row: a secret replaced meanwhile is left alone, not overwritten with an old one.
            counts[f"{model._meta.label_lower}.{field.name}"] = sum(
                model._default_manager.filter(pk=pk, **{field.name: token}).update(
                    **{field.name: secret_reencrypt(token)}
                )
                for pk, token in rows
            )
    audit_record(
        category=AuditCategory.SECURITY,
        action="secrets_reencrypted",
        message=format_lazy(
            _("Przeszyfrowano bieżącym kluczem szyfrowania przechowywane sekrety: {count}."),
            count=sum(counts.values()),
        ),
        actor=actor,
    )
    return counts


# A request older than this is taken for lost (its message dropped with a broker's data or a killed worker): the next
# request queues the task again. Longer than a task waits in a working queue, far shorter than a stalled integration.
TASK_REQUEST_LOST_AFTER = timedelta(minutes=1)


def task_request(task) -> bool:
    """Queue the Celery `task` (no arguments) unless a request for it already waits: a burst of changes that each ask
    for a drain leaves one message in the broker, not thousands ahead of everything else. The task calls
    `task_request_taken` when it starts, so what is asked for after that queues the next run and nothing waits for the
    beat. True when this call queued it; if the broker is unreachable the periodic run (config/celery.py) catches up.
    """
    now = timezone.now()
    rows = TaskRequest.objects.filter(task=task.name)
    # A conditional update claims the request: of concurrent callers, one queues the task.
    claimed = rows.filter(Q(requested_at__isnull=True) | Q(requested_at__lt=now - TASK_REQUEST_LOST_AFTER)).update(
        requested_at=now
    )
    if not claimed and not rows.exists():
        _request, claimed = TaskRequest.objects.get_or_create(task=task.name, defaults={"requested_at": now})
    if not claimed:
        return False
    try:
        task.apply_async(retry=False)
    except OperationalError:
        rows.filter(requested_at=now).update(requested_at=None)
        logger.warning("Celery broker unreachable; %s waits for its periodic run", task.name)
        return False
    return True


def task_request_taken(task) -> None:
    """The task has started: a request made from now on queues it again (`task_request`)."""
    TaskRequest.objects.filter(task=task.name, requested_at__isnull=False).update(requested_at=None)
