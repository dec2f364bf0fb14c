"""Form fields: roubles typed by people become exact kopecks; coefficients accept a comma."""

from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse

from pfdo.audit import labels
from pfdo.common.forms import RoublesField
from pfdo.financing.forms import CoefficientField
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.tests.test_views import form_data
from pfdo.territory.tests.factories import MunicipalityFactory


@pytest.mark.parametrize(
    ("text", "kopecks"),
    [
        ("24 171,00", 2_417_100),
        ("24171", 2_417_100),
        ("24\u00a0171,5", 2_417_150),
        ("24\u202f171,05 ₽", 2_417_105),
        ("0,1", 10),
        ("0.29", 29),  # a float would give 28.999…
        ("1 234 567 890,99", 123_456_789_099),
        ("0", 0),
    ],
)
def test_roubles_to_kopecks_exactly(text, kopecks):
    assert RoublesField().clean(text) == kopecks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12,345", "Не больше двух знаков после запятой (копейки)."),
        ("-1", "Сумма не может быть отрицательной."),
        ("12,3,4", "Введите сумму в рублях, например 24 171,00."),
        ("1e5", "Введите сумму в рублях, например 24 171,00."),
        ("сто", "Введите сумму в рублях, например 24 171,00."),
    ],
)
def test_roubles_refused(text, message):
    with pytest.raises(forms.ValidationError) as excinfo:
        RoublesField().clean(text)
    assert excinfo.value.messages == [message]


def test_kopecks_are_shown_as_roubles():
    assert RoublesField().prepare_value(2_417_100) == "24 171,00"


def test_coefficients():
    field = CoefficientField()
    assert field.clean("1,6") == Decimal("1.6")
    assert field.clean(" 0.950 ") == Decimal("0.950")
    assert field.prepare_value(Decimal("1.600")) == "1,6"
    assert field.prepare_value(Decimal("10.000")) == "10"
    for text, message in [
        ("0", "Коэффициент должен быть больше нуля."),
        ("-1,2", "Коэффициент должен быть больше нуля."),
        ("1,2345", "Не больше трёх знаков после запятой."),
        ("NaN", "Введите число, например 1,2."),
        ("x", "Введите число, например 1,2."),
    ]:
        with pytest.raises(forms.ValidationError) as excinfo:
            field.clean(text)
        assert excinfo.value.messages == [message]


def test_regional_admin_chooses_the_municipality(client, make_user, region, vorkuta):
    inta = MunicipalityFactory(region=region, code="inta", name="Инта")
    MunicipalityFactory(code="far-away", name="Далёкий")  # another region
    client.force_login(make_user("regional_admin", region=region))
    page = client.get(reverse("financing:period_create")).content.decode()
    assert 'name="municipality"' in page and "Инта" in page and "Далёкий" not in page
    response = client.post(reverse("financing:period_create"), form_data(municipality=str(inta.pk)))
    assert response.status_code == 302
    assert FinancingPeriod.objects.get().municipality == inta


def test_audit_actions_have_russian_names():
    assert labels.label("financing.period_updated") == "Изменены параметры периода финансирования"
    assert labels.label("financing.commitments_started") == "По периоду заключён первый договор"
