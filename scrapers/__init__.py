"""Fetching career sites: the HTTP machinery, paging, recording and replay, and one adapter per system."""

if __name__ != "asr_jobs.scrapers":  # the folder also sits at the repository root: one importable copy only
    raise ImportError(f"import asr_jobs.scrapers, not {__name__}: scrapers/ is installed as part of the asr_jobs package")
