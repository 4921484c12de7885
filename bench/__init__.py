"""`make bench` (bench/run.sh starts PostgreSQL, then `python -m bench.runner`).

config     the knobs (environment) and the datasets
record     what a run writes under bench/results/<run>/ and the report reads back
scenarios  what is measured: each wrk or pgbench load, with the ceiling it is compared to
runner     starts the servers, drives wrk and pgbench, writes the record and the report
report     bench/REPORT.md from a record: `python -m bench.report bench/results/<run>`
"""
