import os

# OpenMP threads that spin while waiting make torch ~10x slower when another process shares the cores (the
# dashboard, a second run); the variable is read once, when torch loads, so it is set before anything imports it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.allocator import fix_mmap_threshold  # noqa: E402
from engine.cli import main  # noqa: E402

fix_mmap_threshold()  # freed score matrices go back to the system (engine/allocator.py)

raise SystemExit(main())
