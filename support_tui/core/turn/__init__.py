"""One turn's lifecycle: sentiment, route, escalation, retrieval, the specialist's loop under policy, the reply."""
