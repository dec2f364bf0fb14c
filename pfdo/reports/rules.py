"""Who may read which figures (django-rules): an operator their municipality, a regional
administrator every municipality of the region and the region as a whole."""

import rules

from pfdo.accounts.rules import is_operator, is_regional_admin


@rules.predicate
def operates_municipality(user, municipality) -> bool:
    return municipality is not None and municipality.pk in user.municipality_ids_for("operator")


@rules.predicate
def administers_region_of(user, municipality) -> bool:
    return municipality is not None and municipality.region_id in user.region_ids_for(
        "regional_admin"
    )


@rules.predicate
def administers_region(user, region) -> bool:
    return region is not None and region.pk in user.region_ids_for("regional_admin")


is_official = is_operator | is_regional_admin | rules.is_superuser

# The role gate: who has a dashboard at all.
rules.add_perm("reports.view_reports", is_official)
# One municipality's figures (dashboard, exports, API) and its population data.
rules.add_perm(
    "reports.view_municipality",
    rules.is_authenticated & (rules.is_superuser | operates_municipality | administers_region_of),
)
rules.add_perm(
    "reports.edit_population",
    rules.is_authenticated & (rules.is_superuser | operates_municipality | administers_region_of),
)
# The regional view: every municipality side by side.
rules.add_perm(
    "reports.view_region", rules.is_authenticated & (rules.is_superuser | administers_region)
)
