"""Interactive extraction (issue #6): encode a view once, decode clicks and scribbles fast.

``cache``: size-capped LRU of image embeddings in memory and on disk; ``engines``: the road
engine (RoadGIE-style model) and the SAM / SAM2 engine; ``sessions``: per-view state and the
prompt -> geometry round trip; ``router``: the HTTP endpoints (contract: docs/backend_api.md). The
``interactive_encode`` job kind that opens a session is ``backend/jobs/interactive_encode.py``.
"""
