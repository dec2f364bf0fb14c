"""Contract cases: the public enrolment check and its steps (on the demo: Анна Иванова, the
last digits of her birth certificate 0101 — pfdo/demo/tests/test_enrolment.py)."""

from __future__ import annotations

from pfdo.compat.tests.cases import Case

ANNA = {"soname": "Иванова", "name": "Анна", "number": "0101"}
UNKNOWN_TOKEN = "x" * 43


def demo_region():
    from pfdo.territory.models import Municipality

    return Municipality.objects.select_related("region").get(code="vorkuta").region


def mailed_verification(region) -> tuple[str, str]:
    """A check of Анна whose family asked for the letter: (confirm_token, the letter's token).
    The letter's token is set here because the service only mails it."""
    from pfdo.compat.models import EnrolmentVerification
    from pfdo.compat.services import verification

    started = verification.start(
        actor=None, region=region, surname="Иванова", first_name="Анна", document_suffix="0101"
    )
    letter = verification.new_token()
    EnrolmentVerification.objects.filter(pk=started.verification.pk).update(
        state=EnrolmentVerification.State.EMAIL_SENT,
        email_token_hash=verification.token_hash(letter),
        fakes=[1],
        reported_fakes=1,
    )
    return started.token, letter


def cases() -> list[Case]:
    # The 404s of confirm-email and statistics are asserted in test_enrolment_verification.py:
    # the description's ErrorEnvelope, every property required, also wants result_code and
    # result_message, which the shared error envelope (api/errors.py) does not carry.
    region = demo_region()
    check_token, letter = mailed_verification(region)
    return [
        Case(
            "createEnrollmentVerification",
            "enrollment-verification",
            method="POST",
            body={**ANNA, "phname": None, "fillDocument": True, "operator_id": region.pk},
        ),
        # An unknown child: the same answer's shape (an empty list and a token).
        Case(
            "createEnrollmentVerification",
            "enrollment-verification",
            method="POST",
            body={**ANNA, "number": "9999", "operator_id": region.pk},
        ),
        Case(
            "createEnrollmentVerification",
            "enrollment-verification",
            status=422,
            method="POST",
            body={**ANNA, "operator_id": 999_999},
        ),
        Case(
            "createEnrollmentVerification",
            "enrollment-verification",
            status=422,
            method="POST",
            body={**ANNA, "number": "12", "operator_id": region.pk},
        ),
        Case(
            "verifyEnrollmentVerification",
            "enrollment-verification/verify",
            method="POST",
            body={
                "confirm_token": check_token,
                "soname": "Иванова",
                "name": "Ольга",
                "email": "ivanova@example.ru",
                "yanao": 0,
                "record_marks": [{"id": 1, "fake": True}],
            },
        ),
        Case(
            "verifyEnrollmentVerification",
            "enrollment-verification/verify",
            status=422,
            method="POST",
            body={
                "confirm_token": UNKNOWN_TOKEN,
                "soname": "Иванова",
                "name": "Ольга",
                "email": "ivanova@example.ru",
            },
        ),
        Case(
            "confirmEnrollmentVerificationEmail",
            f"enrollment-verification/confirm-email/{letter}",
            method="POST",
        ),
        Case(
            "getEnrollmentVerificationStatistics",
            f"enrollment-verification/statistics/{check_token}",
        ),
    ]
