from django.urls import path

from . import views
from .feeds import ClaimsFeed, CorrectionsFeed

app_name = "claims"

urlpatterns = [
    path("", views.home, name="home"),
    path("claims/", views.ClaimListView.as_view(), name="claim_list"),
    path("claims/<slug:slug>/", views.claim_detail, name="claim_detail"),
    path("compare/<slug:left>/<slug:right>/", views.compare, name="compare"),
    path("speakers/", views.speaker_list, name="speaker_list"),
    path("speakers/<slug:slug>/", views.speaker_detail, name="speaker_detail"),
    path("sources/<slug:slug>/", views.source_detail, name="source_detail"),
    path("search/", views.search_view, name="search"),
    path("suggest/<slug:kind>/", views.suggest, name="suggest"),
    path("corrections/", views.corrections, name="corrections"),
    path("feeds/claims.atom", ClaimsFeed(), name="feed"),
    path("feeds/corrections.atom", CorrectionsFeed(), name="corrections_feed"),
    path("evidence/<path:name>", views.evidence_file, name="evidence"),
    path("data/", views.data_page, name="data"),
    path("data/<str:name>", views.data_file, name="data_file"),
]
