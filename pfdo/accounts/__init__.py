"""Users, roles and memberships, login, passwords and API tokens."""
