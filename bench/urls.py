"""Production URLs, unchanged, plus the bench-only baselines under /bench/."""

from django.urls import path

from backend.config.urls import urlpatterns as production
from bench import baseline_views

urlpatterns = [
    path("bench/plain/", baseline_views.plain, name="bench-plain"),
    path("bench/naive-sync/", baseline_views.NaiveSyncApi.as_view(), name="bench-naive-sync"),
    path("bench/drf-open/", baseline_views.DrfOpenApi.as_view(), name="bench-drf-open"),
    path("bench/drf-auth/", baseline_views.DrfAuthApi.as_view(), name="bench-drf-auth"),
    path("bench/drf-auth-db/", baseline_views.DrfAuthDatabaseApi.as_view(), name="bench-drf-auth-db"),
    path("bench/alerts-before/", baseline_views.AlertListBeforeApi.as_view(), name="bench-alerts-before"),
    path("bench/alerts-no-audit/", baseline_views.AlertListNoAuditApi.as_view(), name="bench-alerts-no-audit"),
    *production,
]
