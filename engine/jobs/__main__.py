"""``python -m engine.jobs --runs-dir DIR``: the dashboard's warm worker (:mod:`engine.jobs.server`).

An entry module of its own, so ``python -m`` never runs a second copy of a module the package has already imported.
"""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads, as engine/__main__.py does

    from engine.jobs.server import main

    sys.exit(main())
