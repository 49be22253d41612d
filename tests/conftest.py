"""Whole-suite settings."""

import os

from engine.jobs.client import WORKER_ENV

# AppTest pages run inside pytest: without this each test's runs directory would start a dashboard worker (a
# process holding torch and umap). The worker's own tests, and the browser tests' server, turn it back on.
os.environ[WORKER_ENV] = "off"
