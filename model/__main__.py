"""``python -m hvr_model`` runs the command line."""
import sys

from .tools.entry import main

sys.exit(main())
