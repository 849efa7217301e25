"""asr-jobs: research job postings for speech researchers, scraped, ranked and explained."""

__version__ = "0.1.0"
