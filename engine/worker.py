"""``python -m engine.worker --runs-dir DIR``: the dashboard's warm worker (see :mod:`engine.training.worker`).

Its own entry module because ``engine.training`` imports the worker's module, and ``python -m`` on a module its
package has already imported runs a second copy of it.
"""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads, as engine/__main__.py does

    from engine.training.worker import main

    sys.exit(main())
