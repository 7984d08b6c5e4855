"""The demo's patient portal, as the seed text describes ZOZ Medical's: videoconsultations in the poradnie of the
lekarz rodzinny (not all its doctors), pediatrics, dermatology, neurology and cardiology; commercial and NFZ visits
bookable in every poradnia that has online schedules; and one patient's account to log in with."""

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from clinic.models import Cell
from patients.models import Patient
from portal.models import PatientAccount, PortalCell, PortalDoctor
from scheduling.models import Schedule

# The seed text's list, by the demo cells' names; the lekarz rodzinny's poradnie are the POZ ones.
VIDEO_CELLS = (
    "Poradnia Podstawowej Opieki Zdrowotnej",
    "Poradnia POZ Rataje",
    "Poradnia Pediatryczna",
    "Poradnia Dermatologiczna",
    "Poradnia Neurologiczna",
    "Poradnia Kardiologiczna",
)
FAMILY_CELLS = VIDEO_CELLS[:2]
# Under NFZ these need a referral; the lekarz rodzinny, pediatrics and gynaecology do not.
REFERRAL_CELLS = (
    "Poradnia Dermatologiczna",
    "Poradnia Neurologiczna",
    "Poradnia Kardiologiczna",
    "Poradnia Okulistyczna",
)
DEMO_PATIENT_EMAIL = "pacjent@poradnia.example"


def seed(*, out) -> None:
    if PortalCell.objects.exists():
        return
    doctors = 0
    for cell in Cell.objects.all():
        online = Schedule.objects.filter(cell=cell, osoz_online=True)
        video, nfz = cell.name in VIDEO_CELLS, online.filter(is_nfz=True).exists()
        PortalCell.objects.create(
            cell=cell,
            commercial=online.filter(is_nfz=False).exists(),
            nfz=nfz,
            referral_required=nfz and cell.name in REFERRAL_CELLS,
            videoconsultation=video,
        )
        if not video:
            continue
        # The doctors with an online schedule there, whose schedules then allow a televisit beside the visits in
        # the poradnia; "lekarza rodzinnego (nie wszyscy lekarze)": only the first of each POZ poradnia's.
        medical = online.filter(employee__is_medical=True).order_by("employee__sort_name")
        employee_ids = list(dict.fromkeys(medical.values_list("employee_id", flat=True)))
        for employee_id in employee_ids[:1] if cell.name in FAMILY_CELLS else employee_ids:
            PortalDoctor.objects.create(cell=cell, employee_id=employee_id, videoconsultation=True)
            medical.filter(employee_id=employee_id, televisit_only=False).update(televisit_possible=True)
            doctors += 1
    account = _patient_account()
    out.write(
        f"Portal: {PortalCell.objects.filter(videoconsultation=True).count()} poradnie with videoconsultations, "
        f"{doctors} doctors holding them; patient account {account.email if account else '—'}."
    )


def _patient_account() -> PatientAccount | None:
    patient = Patient.objects.exclude(pesel="").filter(portal_account__isnull=True).order_by("pk").first()
    if patient is None:
        return None
    account = PatientAccount(
        email=DEMO_PATIENT_EMAIL,
        patient=patient,
        pesel=patient.pesel,
        first_name=patient.first_name,
        last_name=patient.last_name,
        email_verified_at=timezone.now(),
    )
    account.set_password(DEMO_PASSWORD)
    account.save()
    return account


def summary(*, out) -> None:
    out.write(f"Patient portal (/portal/): {DEMO_PATIENT_EMAIL}  {DEMO_PASSWORD}")
