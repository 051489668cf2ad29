"""The peers: one module per framework, each serving the same endpoints."""
