"""The admin-wide notice while a background run writes (templates/admin/base_site.html)."""

from django import template

from claims import runs

register = template.Library()


@register.inclusion_tag("admin/claims/run_notice.html", takes_context=True)
def run_notice(context):
    """What staff should know about runs writing now (claims.runs.notice)."""
    user = getattr(context.get("request"), "user", None)
    staff = user is not None and user.is_active and user.is_staff
    return {"notices": runs.notice() if staff else []}
