import os

# OpenMP threads that spin while waiting make torch ~10x slower when another process shares the cores (the
# dashboard, a second run); the variable is read once, when torch loads, so it is set before anything imports it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.cli import main  # noqa: E402

raise SystemExit(main())
