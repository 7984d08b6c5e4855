"""The patients' instructions for videoconsultations, "Videoporady" (the seed text 002): a page of the portal and the
same text as a PDF to download or print. One text for both, in the portal's words and labels; which poradnie hold
videoconsultations is read from the portal's offer (POR-7), and the minutes from the settings, never written in."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from portal.offer import portal_offer

FONT = "DejaVu"


@dataclass(frozen=True)
class VideoPoradnia:
    """A poradnia that holds videoconsultations; `some_doctors` when not all of its doctors do."""

    name: str
    location: str
    some_doctors: bool

    def __str__(self) -> str:
        text = f"{self.name} ({self.location})"
        if self.some_doctors:
            text += ", " + _("nie wszyscy lekarze")
        return text


@dataclass(frozen=True)
class Block:
    """One piece of the text: a heading (level 2 or 3), a paragraph, a warning, or a list of items."""

    kind: str  # "h2", "h3", "p", "warning", "list"
    text: str = ""
    items: tuple[str, ...] = ()


def video_poradnie() -> list[VideoPoradnia]:
    """The poradnie the administrator opened to videoconsultations with at least one doctor holding them; "not all
    doctors" when another doctor a patient can book there (an online schedule) does not."""
    poradnie = []
    for cell in portal_offer():
        if not cell.flags["videoconsultation"]:
            continue
        bookable = [doctor for doctor in cell.doctors if doctor.online_schedules]
        holding = [doctor for doctor in bookable if doctor.videoconsultation and doctor.televisit_schedules]
        if holding:
            poradnie.append(
                VideoPoradnia(
                    name=cell.cell.name,
                    location=cell.cell.location.name,
                    some_doctors=len(holding) < len(bookable),
                )
            )
    return poradnie


def _filters(*, preselected: bool) -> tuple[str, ...]:
    chosen = " (" + _("jest wstępnie wybrane") + ")" if preselected else ""
    return (
        _("Wybór placówki") + chosen,
        _("Wybór poradni") + chosen,
        _("Wybór rodzaju wizyty"),
        _("Wybór lekarza"),
    )


def guide_blocks(poradnie: list[VideoPoradnia]) -> list[Block]:
    hold = settings.PORTAL_HOLD_MINUTES
    connect = settings.PORTAL_CONNECT_MINUTES_BEFORE
    choose_video = _("W filtrze „Wybór rodzaju wizyty” wybierz „Videokonsultacja”.")
    if poradnie:
        where = [
            Block("p", _("W obecnej chwili Videokonsultacje są możliwe w poradniach:")),
            Block("list", items=tuple(str(poradnia) for poradnia in poradnie)),
        ]
    else:
        where = [Block("p", _("W obecnej chwili żadna poradnia nie prowadzi Videokonsultacji."))]
    return [
        Block(
            "p",
            _(
                "W trosce o zdrowie i jeszcze lepszą obsługę naszych pacjentów uruchomiliśmy usługę videoporady. "
                "Zapraszamy do zapoznania się z instrukcją, jak można z niej korzystać."
            ),
        ),
        Block("h2", _("Instrukcja dla Pacjentów: rejestracja i obsługa Videokonsultacji")),
        Block(
            "warning",
            _(
                "Uwaga! W celu realizacji Videokonsultacji Pacjent musi posiadać komputer, laptop lub tablet "
                "wyposażony w kamerę i mikrofon."
            ),
        ),
        *where,
        Block("h2", _("1. Rejestracja na Videokonsultację")),
        Block(
            "p",
            _(
                "Po zalogowaniu się do Portalu Pacjenta kliknij „Umów nową wizytę”, a następnie wybierz "
                "interesujący Cię tryb: „Wizyta komercyjna” lub „Wizyta w ramach NFZ”."
            ),
        ),
        Block("h3", _("W przypadku wizyty komercyjnej")),
        Block("p", _("Pojawi się terminarz wraz z zestawem filtrów:")),
        Block("list", items=_filters(preselected=False)),
        Block("p", choose_video),
        Block("h3", _("W przypadku wizyty w ramach NFZ")),
        Block(
            "p",
            _(
                "Pojawi się okno wyboru poradni, a następnie pytanie o skierowanie: wybierz odpowiedź właściwą dla "
                "siebie. Następnie pojawi się terminarz wraz z zestawem filtrów:"
            ),
        ),
        Block("list", items=_filters(preselected=True)),
        Block("p", choose_video),
        Block(
            "p",
            ngettext(
                "Wybrany termin rezerwujemy dla Ciebie na %(minutes)d minutę: potwierdź go przyciskiem "
                "„Potwierdź wizytę”.",
                "Wybrany termin rezerwujemy dla Ciebie na %(minutes)d minut: potwierdź go przyciskiem "
                "„Potwierdź wizytę”.",
                hold,
            )
            % {"minutes": hold},
        ),
        Block("h2", _("2. Rozpoczęcie Videokonsultacji")),
        Block(
            "p",
            _(
                "Umówiona Videokonsultacja jest na liście „Moje wizyty”. Jej widok jest taki jak widok każdej "
                "wizyty, ale ma dodatkowo przyciski „Połącz” i „Czat”. Możesz w nim również wykonać połączenie "
                "testowe: zobaczysz obraz z kamery, poziom dźwięku mikrofonu i sprawdzisz samo połączenie."
            ),
        ),
        Block(
            "p",
            ngettext(
                "Aby rozpocząć Videokonsultację, kliknij przycisk „Połącz” odpowiednio wcześniej przed wizytą: "
                "działa od %(minutes)d minuty przed jej początkiem.",
                "Aby rozpocząć Videokonsultację, kliknij przycisk „Połącz” odpowiednio wcześniej przed wizytą: "
                "działa od %(minutes)d minut przed jej początkiem.",
                connect,
            )
            % {"minutes": connect}
            + " "
            + _(
                "Po kliknięciu „Połącz” lekarz otrzymuje powiadomienie o Twojej gotowości. Od tego momentu nie "
                "odchodź od komputera, gdyż w każdej chwili może nastąpić rozpoczęcie wizyty. W trakcie wizyty po "
                "prawej stronie ekranu możliwy jest czat z lekarzem oraz przesyłanie dokumentacji."
            ),
        ),
        Block(
            "p",
            _(
                "Przycisk „Czat” jest dostępny zarówno przed, jak i po Videokonsultacji. Użyj go, aby wyjaśnić "
                "wątpliwości albo przesłać dodatkowe dokumenty lub wyniki badań (PDF lub zdjęcia)."
            ),
        ),
    ]


def guide_pdf(blocks: list[Block]) -> bytes:
    """The same text on A4, drawn by fpdf2 with a Unicode font (Polish letters), to download or print."""
    pdf = FPDF(format="A4")
    title = _("Videoporady")
    pdf.set_title(title)
    pdf.set_creator("Poradnia")
    pdf.add_font(FONT, fname=settings.PDF_FONT_PATH)
    pdf.add_font(FONT, style="B", fname=settings.PDF_FONT_BOLD_PATH)
    pdf.add_page()
    pdf.set_font(FONT, style="B", size=18)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    sizes = {"h2": 13, "h3": 11}
    for block in blocks:
        if block.kind in sizes:
            pdf.ln(3)
            pdf.set_font(FONT, style="B", size=sizes[block.kind])
            pdf.multi_cell(0, 7, block.text, new_x="LMARGIN", new_y="NEXT")
        elif block.kind == "list":
            pdf.set_font(FONT, size=10)
            for item in block.items:
                pdf.set_x(pdf.l_margin + 6)
                pdf.multi_cell(0, 5.5, f"•  {item}", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
        else:
            pdf.set_font(FONT, style="B" if block.kind == "warning" else "", size=10)
            pdf.multi_cell(0, 5.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.5)
    return bytes(pdf.output())
