"""`python -m voc ...`: the same command as the `voc` console script."""

from voc.cli import main

if __name__ == "__main__":
    main()
