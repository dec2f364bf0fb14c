"""Shared kernel: money, errors, clock, request context and the base views and viewsets."""
