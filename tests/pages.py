"""The reader's site as a client gets it: a page's text, and the claims the
public list shows for a query string."""

from django.urls import reverse


def page(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status, url
    return response.content.decode() if hasattr(response, "content") else ""


def listed(client, **params):
    """The slugs of the claims on the list's page for these query parameters."""
    response = client.get(reverse("claims:claim_list"), params)
    assert response.status_code == 200
    return [claim.slug for claim in response.context["table"].page.object_list]
