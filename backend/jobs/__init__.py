"""One module per job kind (named as the kind), the kind table, the queue, and what the
model jobs share."""
