"""ai-strategy's answers, assessment and Slack app; reads the index that `ingest` writes."""
