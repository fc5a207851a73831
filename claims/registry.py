"""Services the domain asks for without importing them, so that the models
sit below search in the layers (docs/architecture.md). Filled once, when
the app is ready (claims.apps.ClaimsConfig.ready)."""

_search = None


def use_search(search):
    """Register the search interface: a module or object with
    `matching(queryset, query)`."""
    global _search
    _search = search


def search():
    """The registered search interface."""
    if _search is None:
        raise RuntimeError("No search is registered: is the claims app installed and ready?")
    return _search
