"""Cost metering, per-installation budgets and ROI rebalancing of heavy work."""
