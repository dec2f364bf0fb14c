"""Lists ask the database a bounded number of times, however many rows they show."""

from pfdo.providers.tests.factories import ProviderFactory, add_staff


def _list_queries(api_client, user, django_assert_max_num_queries, limit):
    api_client.force_authenticate(user)
    with django_assert_max_num_queries(limit):
        response = api_client.get("/api/v1/providers/", {"page_size": 100})
    assert response.status_code == 200
    return response.json()


def test_provider_list_for_staff_does_not_query_per_row(
    api_client, vorkuta, django_assert_max_num_queries
):
    own = ProviderFactory(municipality=vorkuta)
    staff = add_staff(own).user
    for _ in range(3):
        ProviderFactory(municipality=vorkuta)
    few = _list_queries(api_client, staff, django_assert_max_num_queries, 12)
    for _ in range(12):
        ProviderFactory(municipality=vorkuta)
    many = _list_queries(api_client, staff, django_assert_max_num_queries, 12)
    assert many["count"] == few["count"] + 12
    confidential = [row["id"] for row in many["results"] if row["confidential"] is not None]
    assert confidential == [own.pk]  # only the own provider's bank details
