"""The OSOZ specialisation dictionary, shipped with the product (STR-4).

The list is frozen here on purpose: a later change of the dictionary is a new migration. Codes are stable: an
entry keeps its code forever, a new entry takes the next free code.
"""

from django.db import migrations

SPECIALISATIONS = [
    ("0701", "Alergologia"),
    ("0702", "Anestezjologia i intensywna terapia"),
    ("0703", "Angiologia"),
    ("0704", "Audiologia i foniatria"),
    ("0705", "Balneologia i medycyna fizykalna"),
    ("0706", "Chirurgia dziecięca"),
    ("0707", "Chirurgia klatki piersiowej"),
    ("0708", "Chirurgia naczyniowa"),
    ("0709", "Chirurgia ogólna"),
    ("0710", "Chirurgia onkologiczna"),
    ("0711", "Chirurgia plastyczna"),
    ("0712", "Chirurgia szczękowo-twarzowa"),
    ("0713", "Chirurgia stomatologiczna"),
    ("0714", "Choroby płuc"),
    ("0715", "Choroby wewnętrzne"),
    ("0716", "Choroby zakaźne"),
    ("0717", "Dermatologia i wenerologia"),
    ("0718", "Diabetologia"),
    ("0719", "Endokrynologia"),
    ("0720", "Endokrynologia i diabetologia dziecięca"),
    ("0721", "Gastroenterologia"),
    ("0722", "Gastroenterologia dziecięca"),
    ("0723", "Genetyka kliniczna"),
    ("0724", "Geriatria"),
    ("0725", "Ginekologia onkologiczna"),
    ("0726", "Hematologia"),
    ("0727", "Hipertensjologia"),
    ("0728", "Immunologia kliniczna"),
    ("0729", "Kardiochirurgia"),
    ("0730", "Kardiologia"),
    ("0731", "Kardiologia dziecięca"),
    ("0732", "Medycyna paliatywna"),
    ("0733", "Medycyna pracy"),
    ("0734", "Medycyna rodzinna"),
    ("0735", "Medycyna sportowa"),
    ("0736", "Nefrologia"),
    ("0737", "Neonatologia"),
    ("0738", "Neurochirurgia"),
    ("0739", "Neurologia"),
    ("0740", "Neurologia dziecięca"),
    ("0741", "Okulistyka"),
    ("0742", "Onkologia kliniczna"),
    ("0743", "Ortodoncja"),
    ("0744", "Ortopedia i traumatologia narządu ruchu"),
    ("0745", "Otorynolaryngologia"),
    ("0746", "Otorynolaryngologia dziecięca"),
    ("0747", "Pediatria"),
    ("0748", "Periodontologia"),
    ("0749", "Położnictwo i ginekologia"),
    ("0750", "Protetyka stomatologiczna"),
    ("0751", "Psychiatria"),
    ("0752", "Psychiatria dzieci i młodzieży"),
    ("0753", "Psychologia kliniczna"),
    ("0754", "Radiologia i diagnostyka obrazowa"),
    ("0755", "Rehabilitacja medyczna"),
    ("0756", "Reumatologia"),
    ("0757", "Seksuologia"),
    ("0758", "Stomatologia dziecięca"),
    ("0759", "Stomatologia zachowawcza z endodoncją"),
    ("0760", "Urologia"),
    ("0761", "Urologia dziecięca"),
]


def load(apps, schema_editor):
    Specialisation = apps.get_model("clinic", "Specialisation")
    for code, name in SPECIALISATIONS:
        Specialisation.objects.update_or_create(code=code, defaults={"name": name})


def unload(apps, schema_editor):
    apps.get_model("clinic", "Specialisation").objects.filter(code__in=[code for code, _ in SPECIALISATIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
