"""What the catalogue does when a lower app's event happens (registered at start-up)."""

from pfdo.catalog import services
from pfdo.financing import services as financing

# An approved period brings the normative costs every module is paid up to.
financing.on_period_approved(services.recompute_after_approval)
