"""The HTTP gateway: Timekit's /v2 endpoints over the thin api_client, with no booking logic."""
