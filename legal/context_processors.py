from legal.selectors import current_state


def accessibility(request):
    """The footer's « Accessibilité : … » label. A callable: the template calls it only where
    it shows the label, and the state comes from the cache (legal/selectors.py)."""
    return {"accessibility_state": current_state}
