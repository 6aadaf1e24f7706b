"""The Slack front end: a Bolt app over the answer and assessment engines, and a Slack emulator."""
