"""Exports: transcripts as CSV and JSONL (transcripts.py), corrections as training pairs (training.py)."""
