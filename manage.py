"""审管联动系统 command line: python manage.py --help"""

import sys

from sgld.cli import main

if __name__ == "__main__":
    sys.exit(main())
