"""Programmes, modules, groups and schedules; certification, registries and the public catalogue."""
