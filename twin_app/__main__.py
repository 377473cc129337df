"""``python -m twin_app`` runs the ``twin`` command."""
import sys

from twin_app.cli import main

sys.exit(main())
