"""The Encours benchmark: ``make bench`` (``python -m bench``) writes RESULTS.md and results.json."""
