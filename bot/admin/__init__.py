"""The admin's knowledge workflow on the bot's side: quality checks and the change history."""
