"""Contract cases: regions, the regional operator, municipalities."""

from __future__ import annotations

from django.db.models import Max

from pfdo.compat.tests.cases import Case
from pfdo.territory.models import Municipality, Region

OPERATOR_INFO_EXPANDS = frozenset(
    {
        "authorized_organization",
        "region_password_security_policy",
        "create_pdf_on_certificate_user_change",
    }
)


def cases() -> list[Case]:
    komi = Region.objects.get(code="komi").pk
    vorkuta = Municipality.objects.get(code="vorkuta").pk
    no_region = (Region.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000
    no_municipality = (Municipality.objects.aggregate(top=Max("pk"))["top"] or 0) + 1000
    return [
        Case("getMainPageRegions", "main-page/regions"),
        Case("getOperatorRegions", "operator/regions"),
        Case(
            "getOperatorRegions",
            "operator/regions?expand=certificate_source",
            expands=frozenset({"certificate_source"}),
        ),
        Case(
            "getMainPageOperatorInfo",
            f"main-page/operator-info/{komi}?expand=" + ",".join(sorted(OPERATOR_INFO_EXPANDS)),
            expands=OPERATOR_INFO_EXPANDS,
        ),
        Case("getMainPageOperatorInfo", f"main-page/operator-info/{komi}"),
        Case("getMainPageOperatorInfo", f"main-page/operator-info/{no_region}", status=404),
        Case("getMainPageOperatorInfo", "main-page/operator-info/komi", status=404),
        Case("getMainPageOperatorInfo", f"main-page/operator-info/{komi}?expand=A!", status=400),
        Case("getMainPageMunicipalities", f"main-page/muns/{komi}"),
        Case("getMainPageMunicipalities", f"main-page/muns/{no_region}", status=404),
        Case("getMainPageMunicipalities", "main-page/muns/-1", status=404),
        Case("getMunicipalityInfo", f"main-page/info-mun/{vorkuta}"),
        Case("getMunicipalityInfo", f"main-page/info-mun/{no_municipality}", status=404),
        Case("getMunicipalityInfo", "main-page/info-mun/1.5", status=404),
        Case("getCertificateWays", f"main-page/certificate-ways/{komi}"),
        Case("getCertificateWays", f"main-page/certificate-ways/{no_region}", status=404),
        Case("getMainPageSettings", f"main-page-settings?operator_id={komi}"),
        Case("getMainPageSettings", "main-page-settings", status=400),
        Case("getMainPageSettings", "main-page-settings?operator_id=komi", status=400),
        Case("getMainPageSettings", f"main-page-settings?operator_id={no_region}", status=400),
        Case("getPublicMunicipalities", "public/municipalities"),
        Case("getPublicMunicipalities", "public/municipalities?search[name]=ворк"),
        Case(
            "getMunicipalityUsefulContacts",
            f"public/municipality-useful-contact?search[operator_id]={komi}&page=1&per-page=5",
        ),
        Case("getMunicipalityUsefulContacts", "public/municipality-useful-contact"),
        Case(
            "getMunicipalityUsefulContacts",
            "public/municipality-useful-contact?per-page=0",
            status=400,
        ),
        Case(
            "getMunicipalityUsefulContacts",
            "public/municipality-useful-contact?search[operator_id]=komi",
            status=400,
        ),
    ]
