"""Read-only reports: coverage against the 25% target, dashboards, the regional view, exports."""
