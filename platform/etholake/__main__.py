"""``python -m etholake`` runs the command line."""

from etholake.cli import run

if __name__ == "__main__":
    run()
