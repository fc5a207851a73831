from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from claims.sitemaps import SITEMAPS

admin.site.site_header = "Counterclaim editors"
admin.site.site_title = "Counterclaim"
admin.site.index_title = "Claims, counterclaims and their sources"
admin.site.site_url = "/"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("", include("claims.urls")),
]
