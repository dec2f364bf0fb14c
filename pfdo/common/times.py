"""A time of day as the API reads and writes it (rule 2 of issue 18)."""

# "16:00", "16:00:00", "16:00:00.250000": local time of the municipality, no offset. Declared
# as a string with this pattern, never `format: time` (JSON Schema's time requires an offset).
# An ISO date (as sent) in the years 2000–2100: the calendar's overrides and a group's start.
YEARS_2000_2100 = (2000, 2100)
DATE_IN_YEARS_PATTERN = r"^(20[0-9]{2}|2100)-"
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"

# A moment as the audit's `since`/`until` take it: a calendar day and a time (seconds and a
# fraction optional), with an offset ("Z", "+03:00") or without one (then the municipality's
# local time, as the audit page's datetime-local input sends it). Declared as a string with
# this pattern: JSON Schema's `date-time` requires the offset and the seconds. What a pattern
# cannot say is refused with a message of its own: a day the calendar lacks (2026-02-30), a
# moment before year 1 or after 9999 once in UTC.
MOMENT_PATTERN = (
    r"^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
    r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
)
