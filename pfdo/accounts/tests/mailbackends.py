"""E-mail backends for the outbox tests: one that refuses like a mail server that is down,
one that is slow (a worker can be killed while it sends), both usable by a worker process
through the EMAIL_BACKEND setting."""

from __future__ import annotations

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class RefusingBackend(LocmemBackend):
    """Every letter refused, as by a mail server answering 451."""

    def send_messages(self, messages):
        raise smtplib.SMTPDataError(451, b"try again later")


class SlowFileBackend(FileBackend):
    """File mail that takes PFDO_TEST_MAIL_DELAY seconds per letter and, before it starts,
    leaves `sending-<subject>` in the folder: the test knows the letter is on its way."""

    def send_messages(self, messages):
        folder = Path(self.file_path)
        for message in messages:
            (folder / f"sending-{os.getpid()}-{time.monotonic_ns()}").write_text(message.subject)
        time.sleep(float(os.environ.get("PFDO_TEST_MAIL_DELAY", "2")))
        return super().send_messages(messages)


def letters(folder: Path, subject: str) -> int:
    """How many letters with `subject` the file mail in `folder` holds."""
    return sum(
        path.read_text(errors="replace").count(f"Subject: {subject}")
        for path in folder.glob("*.log")
    )


class SlowLocmemBackend(LocmemBackend):
    """In-memory mail that takes a moment per batch: two deliveries overlap while it sends."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)
