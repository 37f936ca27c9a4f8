"""Allocation scopes: which GFP_NOFS/GFP_NOIO uses an open memalloc_nofs/noio scope already covers.

facts.py reads one file's functions (lexer facts), graph.py judges them across calls, tree.py chooses which
files of a release to read, in rounds, and run.py stores the findings (`nofs scopes`).
"""
