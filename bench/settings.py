"""Production settings plus the bench-only URLs (the baselines). Nothing else differs."""

from backend.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
