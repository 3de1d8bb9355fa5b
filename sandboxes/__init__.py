"""sandboxes: isolated executors for untrusted code and proof checking.

Knows nothing of environments or trainers. The executors (process, bubblewrap, Docker)
arrive with the code-execution work; this package is shipped now so the distribution's
layout is fixed from the start.
"""
