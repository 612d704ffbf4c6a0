"""``publisher import``: another platform's export (Substack, Buttondown, Ghost, any RSS or
Atom feed) into issue files, as a writer would have written them in Markdown.

``run`` reads the export with its format's reader (``substack``, ``buttondown``, ``ghost``,
``feed``) into ``entry.Entry`` values, bodies made Markdown by ``html``; it then writes each
as an issue file, never overwriting one, and records where each old post went.
"""
