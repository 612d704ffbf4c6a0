"""publisher: a newsletter publishing pipeline, from Markdown issues to email, web and feeds."""

__version__ = "0.1.0"
