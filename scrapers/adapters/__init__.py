"""One module per career system: a pure `parse`, a `detect` for saved bodies, and `scrape` for a live run."""
