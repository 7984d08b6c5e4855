"""The demo clinic's structure: two locations in Poznań with their cells, a dozen doctors visible in OSOZ and some
non-medical staff. Idempotent: what already exists (by name) is left as it is."""

from accounts.models import User
from clinic import services
from clinic.models import Cell, Employee, Location, OsozAccess, Specialisation
from clinic.selectors import clinic_get

# The sandbox's demo entity (osoz_sandbox `sandbox_seed`): the configuration wizard brings this id back, so the demo
# clinic and its main location's OSOZ id agree with it from the start.
ENTITY_ID = "7350012345"

LOCATIONS = (
    {
        "name": "Przychodnia Centrum",
        "osoz_unit_name": "Przychodnia Poradnia – Centrum",
        "street": "ul. Święty Marcin 45",
        "city": "Poznań",
        "postcode": "61-806",
        "phone": "61 852 40 10",
        "commune": "Poznań",
        "osoz_enabled": True,
    },
    {
        "name": "Przychodnia Rataje",
        "osoz_location_id": "7350012346",
        "osoz_unit_name": "Przychodnia Poradnia – Rataje",
        "street": "os. Piastowskie 88",
        "city": "Poznań",
        "postcode": "61-158",
        "phone": "61 877 12 30",
        "commune": "Poznań",
        "osoz_enabled": True,
    },
)

# (location, cell, street, city, postcode, phone, commune); some cells lack a phone, as in real data.
CELLS = (
    (
        "Przychodnia Centrum",
        "Poradnia Podstawowej Opieki Zdrowotnej",
        "ul. Święty Marcin 45",
        "Poznań",
        "61-806",
        "61 852 40 11",
        "Poznań",
    ),
    (
        "Przychodnia Centrum",
        "Poradnia Kardiologiczna",
        "ul. Święty Marcin 45",
        "Poznań",
        "61-806",
        "61 852 40 15",
        "Poznań",
    ),
    ("Przychodnia Centrum", "Poradnia Dermatologiczna", "ul. Święty Marcin 45", "Poznań", "61-806", "", "Poznań"),
    ("Przychodnia Centrum", "Poradnia Okulistyczna", "ul. Ratajczaka 12", "Poznań", "61-815", "61 852 40 17", "Poznań"),
    ("Przychodnia Centrum", "Poradnia Neurologiczna", "ul. Ratajczaka 12", "Poznań", "61-815", "", "Poznań"),
    ("Przychodnia Rataje", "Poradnia POZ Rataje", "os. Piastowskie 88", "Poznań", "61-158", "61 877 12 31", "Poznań"),
    ("Przychodnia Rataje", "Poradnia Pediatryczna", "os. Piastowskie 88", "Poznań", "61-158", "61 877 12 32", "Poznań"),
    (
        "Przychodnia Rataje",
        "Poradnia Ginekologiczno-Położnicza",
        "os. Piastowskie 90",
        "Poznań",
        "61-158",
        "",
        "Poznań",
    ),
    ("Przychodnia Rataje", "Gabinet Zabiegowy", "", "", "", "61 877 12 35", ""),
)

# (title, first name, last name, own specialisations, OSOZ dictionary names, cells (OSOZ-passed marked *),
#  OSOZ on, access, description)
DOCTORS = (
    (
        "lek.",
        "Piotr",
        "Zieliński",
        "specjalista chorób wewnętrznych",
        ["Choroby wewnętrzne"],
        ["*Poradnia Podstawowej Opieki Zdrowotnej", "Gabinet Zabiegowy"],
        True,
        OsozAccess.ALL,
        "Internista z 15-letnim doświadczeniem; prowadzi pacjentów z nadciśnieniem i cukrzycą typu 2.",
    ),
    (
        "dr n. med.",
        "Magdalena",
        "Kowalczyk",
        "specjalista kardiolog",
        ["Kardiologia", "Choroby wewnętrzne"],
        ["*Poradnia Kardiologiczna"],
        True,
        OsozAccess.ALL,
        "Kardiolog; echokardiografia, holter EKG i ciśnieniowy, opieka po zawale serca.",
    ),
    (
        "lek.",
        "Tomasz",
        "Wójcik",
        "specjalista dermatologii i wenerologii",
        ["Dermatologia i wenerologia"],
        ["*Poradnia Dermatologiczna"],
        True,
        OsozAccess.PATIENT,
        "Dermatolog; dermatoskopia znamion, leczenie trądziku i łuszczycy.",
    ),
    (
        "dr n. med.",
        "Agnieszka",
        "Lewandowska",
        "specjalista okulistyki",
        ["Okulistyka"],
        ["*Poradnia Okulistyczna"],
        True,
        OsozAccess.ALL,
        "Okulista; dobór okularów, diagnostyka jaskry i zaćmy, badanie dna oka.",
    ),
    (
        "lek.",
        "Marcin",
        "Kamiński",
        "specjalista medycyny rodzinnej",
        ["Medycyna rodzinna"],
        ["*Poradnia Podstawowej Opieki Zdrowotnej", "*Poradnia POZ Rataje"],
        True,
        OsozAccess.PATIENT,
        "Lekarz rodzinny; przyjmuje dorosłych i dzieci, bilanse i szczepienia.",
    ),
    (
        "lek.",
        "Joanna",
        "Szymańska",
        "specjalista pediatrii",
        ["Pediatria"],
        ["*Poradnia Pediatryczna"],
        True,
        OsozAccess.PATIENT,
        "Pediatra; opieka nad dziećmi od urodzenia, wizyty dzieci zdrowych i chorych.",
    ),
    (
        "dr n. med.",
        "Krzysztof",
        "Dąbrowski",
        "specjalista położnictwa i ginekologii",
        ["Położnictwo i ginekologia"],
        ["*Poradnia Ginekologiczno-Położnicza"],
        True,
        OsozAccess.ALL,
        "Ginekolog-położnik; prowadzenie ciąży, USG ginekologiczne, profilaktyka raka szyjki macicy.",
    ),
    (
        "lek.",
        "Ewa",
        "Kozłowska",
        "specjalista medycyny rodzinnej, pediatra",
        ["Medycyna rodzinna", "Pediatria"],
        ["*Poradnia POZ Rataje", "Poradnia Pediatryczna"],
        True,
        OsozAccess.PATIENT,
        "Lekarz rodzinny i pediatra na Ratajach.",
    ),
    (
        "lek.",
        "Paweł",
        "Jankowski",
        "specjalista endokrynologii, diabetolog",
        ["Endokrynologia", "Diabetologia"],
        ["*Poradnia Podstawowej Opieki Zdrowotnej"],
        True,
        OsozAccess.INSURER,
        "Endokrynolog i diabetolog; choroby tarczycy, insulinoterapia.",
    ),
    (
        "lek.",
        "Monika",
        "Mazur",
        "specjalista alergologii",
        ["Alergologia"],
        ["*Poradnia POZ Rataje"],
        True,
        OsozAccess.ALL,
        "Alergolog; testy skórne, odczulanie, astma oskrzelowa.",
    ),
    (
        "dr hab. n. med.",
        "Andrzej",
        "Krawczyk",
        "specjalista neurologii",
        ["Neurologia"],
        ["*Poradnia Neurologiczna"],
        True,
        OsozAccess.ALL,
        "Neurolog; bóle głowy, padaczka, choroba Parkinsona, konsultacje po udarze.",
    ),
    (
        "lek.",
        "Barbara",
        "Piotrowska",
        "specjalista otorynolaryngologii",
        ["Otorynolaryngologia"],
        ["*Poradnia Podstawowej Opieki Zdrowotnej"],
        True,
        OsozAccess.PATIENT,
        "Laryngolog; zapalenia zatok, zaburzenia słuchu i równowagi.",
    ),
    (
        "lek.",
        "Michał",
        "Grabowski",
        "specjalista ortopedii i traumatologii",
        ["Ortopedia i traumatologia narządu ruchu"],
        ["Poradnia POZ Rataje"],
        False,
        OsozAccess.PATIENT,
        "",
    ),
)

# Reception and administration: not medical, so never shown in OSOZ.
OTHER_STAFF = (
    ("Katarzyna", "Wiśniewska", ["Poradnia Podstawowej Opieki Zdrowotnej"]),
    ("Marta", "Nowicka", ["Poradnia POZ Rataje"]),
    ("Grzegorz", "Pawlak", []),
)


def seed(*, out) -> None:
    if not clinic_get().osoz_entity_id:
        services.clinic_entity_id_set(entity_id=ENTITY_ID)
    for data in LOCATIONS:
        if not Location.objects.filter(name=data["name"]).exists():
            services.location_create(data=data)
    locations = {location.name: location for location in Location.objects.all()}

    for location_name, name, street, city, postcode, phone, commune in CELLS:
        location = locations[location_name]
        if not location.cells.filter(name=name).exists():
            data = {"name": name, "street": street, "city": city, "postcode": postcode, "phone": phone}
            services.cell_create(location=location, data={**data, "commune": commune})
    cells = {cell.name: cell for cell in Cell.objects.all()}

    doctor_account = User.objects.filter(username="lekarz").first()
    for title, first, last, own, osoz_names, cell_names, osoz_on, access, description in DOCTORS:
        if Employee.objects.filter(first_name=first, last_name=last).exists():
            continue
        works = [cells[name.lstrip("*")] for name in cell_names]
        services.employee_create(
            data={
                "title": title,
                "first_name": first,
                "last_name": last,
                "is_medical": True,
                "specialisations_text": own,
                "user": doctor_account if (first, last) == ("Piotr", "Zieliński") else None,
                "osoz_enabled": osoz_on,
                "osoz_access": access,
                "osoz_description": description,
                "osoz_callcenter_description": f"Przed umówieniem zapytaj o skierowanie. Gabinet: {works[0].name}.",
            },
            specialisations=Specialisation.objects.filter(name__in=osoz_names),
            cells=works,
            osoz_cells=[cells[name[1:]] for name in cell_names if name.startswith("*")],
        )
    for first, last, cell_names in OTHER_STAFF:
        if not Employee.objects.filter(first_name=first, last_name=last).exists():
            services.employee_create(
                data={"first_name": first, "last_name": last, "is_medical": False},
                cells=[cells[name] for name in cell_names],
            )
    out.write(
        f"Clinic structure: {Location.objects.count()} locations, {Cell.objects.count()} cells, "
        f"{Employee.objects.filter(osoz_enabled=True).count()} doctors visible in OSOZ."
    )
