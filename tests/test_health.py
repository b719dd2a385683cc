import pytest


@pytest.mark.django_db
def test_health_in_embedded_mode(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "eager"}


@pytest.mark.django_db
@pytest.mark.worker
def test_health_with_a_real_broker(client, settings):
    from .workers import test_redis_url

    settings.REDIS_URL = test_redis_url()
    assert client.get("/health/").json()["broker"] == "ok"


@pytest.mark.django_db
def test_health_reports_an_unreachable_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"
