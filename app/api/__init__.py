"""The JSON API for bots, mounted at /api/v1 (app/api/server.py); its answers are built by app/api/answers.py
from the read-side queries, and the command line prints the same models."""
