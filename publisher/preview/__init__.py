"""``publisher preview``: the live preview server and the state it serves."""
