import sys

from sgld.cli import main

sys.exit(main())
