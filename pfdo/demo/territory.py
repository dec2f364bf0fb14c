"""Demo territory: the Komi Republic and its twenty municipalities (Vorkuta among them)."""

from __future__ import annotations

from pfdo.territory import services
from pfdo.territory.models import Municipality, Region

U = Municipality.Kind.URBAN_DISTRICT
D = Municipality.Kind.MUNICIPAL_DISTRICT

KOMI_MUNICIPALITIES: list[tuple[str, str, str, str]] = [
    ("syktyvkar", "Сыктывкар", U, "МО ГО «Сыктывкар»"),
    ("vorkuta", "Воркута", U, "МО ГО «Воркута»"),
    ("vuktyl", "Вуктыл", U, "МО ГО «Вуктыл»"),
    ("inta", "Инта", U, "МО ГО «Инта»"),
    ("pechora", "Печора", D, "МО МР «Печора»"),
    ("sosnogorsk", "Сосногорск", D, "МО МР «Сосногорск»"),
    ("usinsk", "Усинск", U, "МО ГО «Усинск»"),
    ("ukhta", "Ухта", U, "МО ГО «Ухта»"),
    ("izhma", "Ижемский район", D, "МО МР «Ижемский»"),
    ("knyazhpogost", "Княжпогостский район", D, "МО МР «Княжпогостский»"),
    ("koygorodok", "Койгородский район", D, "МО МР «Койгородский»"),
    ("kortkeros", "Корткеросский район", D, "МО МР «Корткеросский»"),
    ("priluzye", "Прилузский район", D, "МО МР «Прилузский»"),
    ("syktyvdin", "Сыктывдинский район", D, "МО МР «Сыктывдинский»"),
    ("sysola", "Сысольский район", D, "МО МР «Сысольский»"),
    ("troitsko-pechorsk", "Троицко-Печорский район", D, "МО МР «Троицко-Печорский»"),
    ("udora", "Удорский район", D, "МО МР «Удорский»"),
    ("ust-vym", "Усть-Вымский район", D, "МО МР «Усть-Вымский»"),
    ("ust-kulom", "Усть-Куломский район", D, "МО МР «Усть-Куломский»"),
    ("ust-tsilma", "Усть-Цилемский район", D, "МО МР «Усть-Цилемский»"),
]


def seed_komi(*, actor=None) -> tuple[Region, Municipality]:
    """Create the Komi Republic and its municipalities; returns (region, Vorkuta)."""
    region = services.ensure_region(actor=actor, code="komi", name="Республика Коми", okato="11")
    by_code = {}
    for number, (code, name, kind, official) in enumerate(KOMI_MUNICIPALITIES, start=1):
        by_code[code] = services.ensure_municipality(
            actor=actor,
            region=region,
            code=code,
            name=name,
            kind=kind,
            number=number,
            official_name=official,
        )
    return region, by_code["vorkuta"]
