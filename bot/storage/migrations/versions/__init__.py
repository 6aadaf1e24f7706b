"""One module per schema revision, oldest first (see their `down_revision`)."""
