"""Statistics, patterns, exports, the yearly report and the reply pack."""
