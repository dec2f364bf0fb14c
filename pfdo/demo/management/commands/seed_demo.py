"""`manage.py seed_demo [--scale small|city|region]`: the Vorkuta demo, safe to re-run."""

from django.core.management.base import BaseCommand

from pfdo.demo.seed import SCALES, seed


class Command(BaseCommand):
    help = "Создаёт демонстрационные данные (Республика Коми, Воркута, по логину на роль)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small")

    def handle(self, *args, scale: str, **options):
        report = seed(scale)
        self.stdout.write(
            self.style.SUCCESS(f"Демо готово: {report.municipality}, масштаб {report.scale}.")
        )
        if report.counts:
            self.stdout.write(
                f"Поставщиков: {report.counts['providers']}, программ: {report.counts['programs']}."
            )
        c = report.certificates
        if c is not None:
            self.stdout.write(
                f"Детей: {c.children}. Сертификатов финансирования: {c.financing} из квоты "
                f"{c.quota}, учёта: {c.accounting} (приостановлено {c.suspended}; ещё "
                f"аннулировано {c.cancelled}, истекло {c.expired}). Заявлений в очереди: "
                f"{c.applied + c.verified} (проверено {c.verified}); запросов на перевод "
                f"в ожидании: {c.waiting_switches}."
            )
        e = report.enrolment
        if e is not None:
            self.stdout.write(
                f"Договоров действует: {e.active} (сертификатом {e.active_certificate}, "
                f"бюджетных {e.active_budget}; с доплатой {e.with_copay}); расторгнуто "
                f"{e.terminated}. Заявок ждут решения: {e.new_applications}, договоров ждут "
                f"родителей: {e.offers}, в листах ожидания: {e.waitlisted} "
                f"(заполненных групп: {e.full_groups})."
            )
        if report.billing is not None:
            self.stdout.write(report.billing.describe())
        if report.lookups:
            self.stdout.write(
                f"Поисков сертификатов поставщиками: {report.lookups} (отчёт оператора: "
                "/cabinet/operator/certificate-lookups/)."
            )
        if report.ratings:
            self.stdout.write(f"Оценок программ родителями: {report.ratings}.")
        self.stdout.write(
            "Численность детей внесена по всем муниципалитетам"
            + (f" (возрастов записано: {report.population})" if report.population else "")
            + "; охват против цели 25 %: /cabinet/reports/."
        )
        self.stdout.write("Логины (пароль у всех один):")
        for label, login, password, created in report.logins:
            mark = "создан" if created else "уже был"
            self.stdout.write(f"  {label:<26} {login:<10} {password}  ({mark})")
