"""Reports people read: fast_p and speedup tables, plots, one-file HTML, run-versus-run comparison.

``load`` turns a run directory or eval JSON into ``RunData``; ``tables``/``compare`` turn that into
``Table`` objects; ``plots``, ``text`` and ``html`` render them; ``build`` writes the files.
"""
