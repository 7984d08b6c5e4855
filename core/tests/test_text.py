import pytest

from core.text import polish_sort_key


def ordered(*names):
    return sorted(names, key=polish_sort_key)


def test_the_polish_alphabet_decides():
    assert ordered("Bąk", "Baran", "Łukasiewicz", "Lis", "Mazur", "Żak", "Zięba", "Źrebiec", "Ćwik", "Czarnecka") == [
        "Baran",
        "Bąk",
        "Czarnecka",
        "Ćwik",
        "Lis",
        "Łukasiewicz",
        "Mazur",
        "Zięba",
        "Źrebiec",
        "Żak",
    ]


def test_case_and_foreign_accents_do_not_matter_and_a_shorter_name_comes_first():
    assert ordered("müller", "Mularczyk", "MULLER", "Mul") == ["Mul", "Mularczyk", "müller", "MULLER"]
    assert polish_sort_key("Müller") == polish_sort_key("muller")


@pytest.mark.parametrize(("first", "second"), [("Nowak", "Nowak-Kowalska"), ("Nowak Jan", "Nowakowski")])
def test_a_separator_sorts_before_any_letter(first, second):
    assert polish_sort_key(first) < polish_sort_key(second)


def test_the_surname_decides_before_the_first_name():
    assert polish_sort_key("Nowak", "Zofia") < polish_sort_key("Nowakowska", "Anna")
    assert polish_sort_key("Nowak", "Anna") < polish_sort_key("Nowak", "Ąna")
