"""Domain errors carry a stable code, a Russian message and field messages."""

from pfdo.common.errors import Conflict, DomainError, NotFound, ValidationFailed


def test_defaults_and_overrides():
    exc = ValidationFailed(fields={"email": "Неверный адрес.", "name": ["a", "b"]})
    assert exc.code == "validation_error"
    assert exc.status == 400
    assert exc.fields == {"email": ["Неверный адрес."], "name": ["a", "b"]}
    assert exc.message == "Проверьте правильность заполнения полей."
    custom = DomainError("Квота исчерпана.", code="quota_exhausted")
    assert (custom.code, custom.message, custom.status) == (
        "quota_exhausted",
        "Квота исчерпана.",
        400,
    )
    assert NotFound().status == 404
    assert Conflict().status == 409
