from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path
from django.views.generic import TemplateView

from claims.sitemaps import SITEMAPS

admin.site.site_header = "Counterclaim editors"
admin.site.site_title = "Counterclaim"
admin.site.index_title = "Claims, counterclaims and their sources"
admin.site.site_url = "/"

urlpatterns = [
    path("admin/", admin.site.urls),
    # An index of sections, each paged, so that every claim can be found.
    path("sitemap.xml", sitemaps.index, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        sitemaps.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("", include("claims.urls")),
]
