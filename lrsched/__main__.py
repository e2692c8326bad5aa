"""`python -m lrsched`: the `lrsched` command (see `lrsched.cli`)."""

from lrsched.cli import main

if __name__ == "__main__":  # not when imported (e.g. by pytest's doctest collection)
    raise SystemExit(main())
