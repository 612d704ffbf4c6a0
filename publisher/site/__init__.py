"""The pure site plan (every output path and what produces it) and the manifest of what a
build wrote."""
