"""Poradnia's side of the OSOZ integration (osoz_contract/ is the contract):

- `client.py` — the only code that speaks HTTP to OSOZ; `interface.py` — the contract's typed payloads;
- `changes.py` — the listener that turns the product's recorded changes into outbox rows;
- `outbox.py` — the outbox: upsert in the change's transaction, claim with a lease, deliver, drain, the registry of
  the builders that make each kind of message at send time, and the administrator's resend or skip of what OSOZ
  refused;
- `publication.py` — what OSOZ shows: the location, doctor, schedule and free-slots documents and what a change
  affects; `bookings_out.py` — what OSOZ must be told about its bookings (accept, reject, the clinic's cancel, move);
- `bookings/` — bookings made on OSOZ applied once (`apply`), their sealed personal data opened (`opening`), the
  patient's cancellations (`cancellations`), refusals in the patient's words (`refusals`); `feed.py` — the
  cursor-paged events feed; `webhooks.py` — the approval call and the nudge OSOZ sends;
- `monitor.py` — the connection-exchange record and the outage e-mails (OSZ-10); `services.py` — Ustawienia >
  OSOZ/LBK: the wizard, the connection, the switch and the check; `tasks.py` — the Celery tasks; `texts.py` — the
  texts kept in the clinic's language whatever the request's (what OSOZ shows the patient, stored errors).
"""
