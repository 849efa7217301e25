"""Storage: the SQLite schema, every query, the HTTP cache and the datasette configuration."""

if __name__ != "asr_jobs.db":  # the folder also sits at the repository root: one importable copy only
    raise ImportError(f"import asr_jobs.db, not {__name__}: db/ is installed as part of the asr_jobs package")
