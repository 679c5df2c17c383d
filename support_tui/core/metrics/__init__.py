"""Support metrics over the stored records: figures, the history fixture and the Prometheus export."""
