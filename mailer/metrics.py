"""Prometheus metrics: what this process did (counters) and how the service stands (gauges).

The counters live in prometheus-client's default registry, beside its own
process figures (CPU, memory, open files): one set per process, as
Prometheus expects of a service that runs as several. The gauges are the
figures of `pactmail status`, read from the database and Redis at each scrape.
"""

from __future__ import annotations

from prometheus_client import Counter

HANDLED = Counter(
    "pactmail_inbound_handled",
    "Inbound messages this process finished with, by the status they were left in",
    ["status"],
)
EMAILS = Counter(
    "pactmail_outbound_emails",
    "Emails this process sent (to the relay or the outbox), or settled as failed or possibly sent",
    ["result"],
)
