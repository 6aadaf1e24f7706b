"""Turns the documents in knowledge/ into a versioned Chroma index, and reads it back."""
