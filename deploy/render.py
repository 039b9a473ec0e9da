"""The renderer lives in the package (generator/deploy/render.py, `gen-bundle deploy render`); this
module keeps `python -m deploy.render VALUES OUT [--certificates DIR]` and `from deploy.render import …`
working in a checkout."""

import sys

from generator.deploy.render import *  # noqa: F403
from generator.verbs import deploy

if __name__ == "__main__":
    sys.exit(deploy.main(["render", *sys.argv[1:]]))
