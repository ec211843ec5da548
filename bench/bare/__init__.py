"""A bare Django + DRF application with the partner API's three concern endpoints (create, list,
detail), nothing else: the yardstick bench/compare_api.py measures the real API against (issue
14's P1 and P2). Not part of the product; never installed beside it."""
