"""``publisher build``: the executor of the site plan. ``pipeline.build`` reads top to bottom;
``keys``, ``cache``, ``workers``, ``products`` and ``output`` are its parts."""
