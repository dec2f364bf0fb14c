"""Demo providers of Vorkuta: created through the services, included, idempotent."""

from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog
from pfdo.demo import providers as demo
from pfdo.providers.models import BankDetailsChange, Provider, ProviderStaff
from pfdo.providers.validators import account_is_valid, inn_is_valid, ogrn_is_valid


def test_seed_providers_creates_included_providers_once(vorkuta):
    providers = demo.seed_providers(municipality=vorkuta)
    assert len(providers) == 6
    assert {p.legal_form for p in providers} == {"municipal", "ngo", "company", "ip"}
    for provider in providers:
        provider.refresh_from_db()
        assert provider.status == Provider.Status.ACTIVE and provider.included_at
        assert inn_is_valid(provider.inn) and ogrn_is_valid(provider.ogrn)
        assert account_is_valid(provider.settlement_account, provider.bik)
        assert provider.staff.filter(is_admin=True, is_active=True).count() == 1
    ip = next(p for p in providers if p.legal_form == "ip")
    assert ip.short_name == "ИП Кузьмина О. В." and ip.licence_exempt
    counts = (Provider.objects.count(), User.objects.count(), ActionLog.objects.count())
    again = demo.seed_providers(municipality=vorkuta)
    assert [p.pk for p in again] == [p.pk for p in providers]
    assert (Provider.objects.count(), User.objects.count(), ActionLog.objects.count()) == counts


def test_attach_demo_staff_is_idempotent(vorkuta, make_user):
    provider = demo.seed_providers(municipality=vorkuta)[3]
    user = make_user(username="provider")
    demo.attach_demo_staff(user=user, provider=provider)
    demo.attach_demo_staff(user=user, provider=provider)
    row = ProviderStaff.objects.get(user=user)
    assert row.provider == provider and row.is_admin and row.is_active
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("providers.manage_staff", provider)
    assert user.has_role("provider_staff")


def test_seed_bank_change_leaves_one_request_for_the_operator(vorkuta):
    providers = demo.seed_providers(municipality=vorkuta)
    change = demo.seed_bank_change(providers=providers)
    assert change is not None and change.status == BankDetailsChange.Status.PENDING
    assert account_is_valid(change.settlement_account, change.bik)
    # Pending: the provider is still paid to its old account.
    assert change.provider.settlement_account == change.old_settlement_account
    assert change.provider.settlement_account != change.settlement_account
    assert demo.seed_bank_change(providers=providers) is None
    assert BankDetailsChange.objects.count() == 1


def test_every_demo_ip_lives_somewhere_else_than_it_teaches():
    """The demo shows the public card of an ИП without its home: each ИП of the demo has a
    home (its legal address, with the flat) apart from the address where it teaches."""
    ips = [spec for spec in demo.GENERATED_PROVIDERS if spec.legal_form == "ip"]
    assert ips
    for index, spec in enumerate(demo.GENERATED_PROVIDERS):
        card = demo.generated_card(index, spec)
        if spec.legal_form == "ip":
            assert "кв." in card["legal_address"] and "кв." not in card["actual_address"]
        else:
            assert card["legal_address"] == card["actual_address"]
