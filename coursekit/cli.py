"""The ``coursekit`` command line for instructors (release, autograde, report)."""

import argparse


def main(argv=None):
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__)
    parser.parse_args(argv)
    parser.print_help()
    return 0
