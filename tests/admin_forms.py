"""Admin forms as a browser sees them: the address of a claim's change page,
the data a browser posts back from a page as shown, and the errors a page
that failed validation shows."""

from django.urls import reverse

CHANGELIST = reverse("admin:claims_claim_changelist")


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def form_values(form):
    """What a browser posts back for one form, as shown."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None or value is False:
            continue
        if value is True:
            data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        else:
            data[key] = str(value)
    return data


def form_data(response):
    """The data a browser would post back from an admin change page, as shown."""
    data = form_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.forms:
            data.update(form_values(form))
    return data


def error_text(response):
    """Every error message on an admin page that failed validation."""
    assert response.status_code == 200, "the form should have been shown again"
    messages = list(response.context["adminform"].form.errors.values())
    for inline in response.context["inline_admin_formsets"]:
        messages += inline.formset.non_form_errors()
        for errors in inline.formset.errors:
            messages += list(errors.values())
    return " ".join(str(m) for m in messages)
