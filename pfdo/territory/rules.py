"""Territories are public reference data: anyone may read them."""

import rules

rules.add_perm("territory.view_region", rules.always_allow)
rules.add_perm("territory.view_municipality", rules.always_allow)
