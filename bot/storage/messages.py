"""Every log line and message of the bot's database, worded in one place."""


def log_lease_renewal_failed(count: int, error: Exception) -> str:
    return f"could not renew the claims on {count} event(s), retrying: {type(error).__name__}"


def log_claim_taken_over(key: str) -> str:
    return f"took over {key}: its claimant's lease lapsed without an answer"


def upgraded(revision: str, url: str) -> str:
    return f"Database {url} is at schema revision {revision} (latest)."


def cannot_upgrade(url: str, error: Exception) -> str:
    return (
        f"Could not migrate the database {url}: {type(error).__name__}: {error}. "
        "Check AI_STRATEGY_DATABASE_URL and that the database server is reachable."
    )


def log_migrated(before: str | None, after: str) -> str:
    return f"database schema migrated from revision {before or 'none'} to {after}"
