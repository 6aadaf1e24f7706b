"""What every part of `ai-strategy` shares and none owns: the command-line options every command
takes, logging (with secrets redacted) and the settings' sources. Imports neither `ingest` nor
`bot`."""
