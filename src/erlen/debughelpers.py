"""Not supported yet: Flask's ``flask.debughelpers`` has no erlen counterpart so far.

Importing this module says so, rather than failing with a bare "No module
named" (the README's "Migrating from Flask" section lists what is missing).
"""

raise ImportError(
    "erlen does not support flask.debughelpers yet (see the README's 'Migrating from Flask'"
    " section for what is missing)",
    name="erlen.debughelpers",
)
