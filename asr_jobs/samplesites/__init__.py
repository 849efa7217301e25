"""SAMPLE career sites: the behaviour of each career system the adapters read (paging, totals, detail routes,
errors), written once per system from sample postings written once, and rendered three ways:

- HAR recordings for `asr-jobs demo` (asr_jobs/demo/<lab>.har; regenerate with `python -m asr_jobs.samplesites`),
- routes scaled to N postings per lab on virtual hosts for the local server (`sites.build`, `server`), used by
  the benchmark (bench/) and the crash and fault tests,
- an httpx MockTransport for tests (`transport.sample_transport`, `transport.demo_transport`).

The postings are sample data written for the demo and the tests, in the exact response formats of each
career site; they are never scraped data and never passed off as such.
"""
