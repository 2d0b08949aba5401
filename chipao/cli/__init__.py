"""The command line (python -m chipao) and local-database plumbing."""
