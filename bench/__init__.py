"""The benchmark of the overview on a large organisation (``make bench``; not part of ``make test``)."""
