"""Financing periods: dates, nominals, quota, budget, billing settings, normative-cost parameters."""
