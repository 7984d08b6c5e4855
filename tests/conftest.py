"""The suites that span apps and processes (the OSOZ loop with the sandbox, faults, a real Celery worker, browser
journeys, cross-app permission and rotation checks). Every request the product sends to OSOZ here is checked against
the contract, as in the integration's own tests."""

from osoz_integration.tests.conftest import _fast_retries, public_key_pem, published_clinic, sent
from tests.loop import sandbox_server, sandbox_template

__all__ = ["_fast_retries", "public_key_pem", "published_clinic", "sandbox_server", "sandbox_template", "sent"]
