"""The overview and the case lists."""
