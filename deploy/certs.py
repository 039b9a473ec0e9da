"""The certificates live in the package (generator/deploy/certs.py); this module keeps
`from deploy.certs import …` working in a checkout."""

from generator.deploy.certs import *  # noqa: F403
