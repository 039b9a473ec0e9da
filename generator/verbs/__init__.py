"""The verbs of `gen-bundle` beyond build and check (generator/cli.py), one file each."""
