"""Regions and municipalities: the territory every other object is scoped to."""
