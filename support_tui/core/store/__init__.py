"""The support records (conversations, messages, turns, the trace, approvals, ratings, memory) behind one interface."""
