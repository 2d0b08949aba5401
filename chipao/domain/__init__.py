"""Types, errors and rules: pure, no I/O; imports nothing of ours but chipao.settings."""
