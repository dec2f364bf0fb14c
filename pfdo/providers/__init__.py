"""The provider registry: organisations and ИП, their registry status, staff and limits."""
