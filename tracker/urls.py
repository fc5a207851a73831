from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Counterclaim editors"
admin.site.site_title = "Counterclaim"
admin.site.index_title = "Claims, counterclaims and their sources"

urlpatterns = [
    path("admin/", admin.site.urls),
    # The public reader site lands here; until then the root leads editors in.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
