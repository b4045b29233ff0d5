"""Reports by link: the public form, report links, gap-free references."""
