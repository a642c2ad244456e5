"""Offline evaluation: recorded transcripts, replay, metrics and reports."""
