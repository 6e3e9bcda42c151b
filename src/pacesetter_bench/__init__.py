"""`pacesetter bench`: the ingest and the national figures measured against a raw floor.

The bench builds its own fresh database (never the developer's), generates a seeded
5-level unit tree and a year of reports, ingests them through the real action
(`ledger.actions.record_reports`), then loads the very same rows with the plain database
driver into bare tables with the same indexes and the same aggregate upserts — the *floor*
no application can beat on this machine. It prints both rates and their ratio, the time to
read the national figures, the machine and the database, and writes them to
`var/bench/results.json`.

- `generate`: the seeded tree and reports (pure Python).
- `floor`: the raw floor for SQLite (`sqlite3` executemany) and PostgreSQL (COPY).
- `machine`: what the figures were measured on.
- `run`: the whole run, called by the `bench` management command.
"""
