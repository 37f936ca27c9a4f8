"""The read side: one module a question, each returning plain dataclasses; no writes.

releases     which releases, on which line, the interval between two
places       a path or subsystem a reader asks for, and the SQL that keeps a query's rows in it
counts       counts by kind at a release and along a timeline, per path and subsystem
changes      what moved between two releases: files, subsystems, the filesystem table
occurrences  each occurrence in a file, and those added or removed between two releases
context      what the code occurrences do where they stand (callee, role, flags)
attribution  which commits and merges moved a count
fixes        conversions that a later Fixes: trailer names
scopes       what `nofs scopes` found
"""
