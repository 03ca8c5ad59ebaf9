"""Static files: hashed names, compressed, and ES module imports rewritten to the hashed names.

Without the rewrite, a page's hashed module would import unhashed siblings, which are cached
briefly and could disagree with it for a moment after an upgrade.
"""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]  # untyped base
    support_js_module_import_aggregation = True
