"""Batch prediction, thresholds and bout extraction."""
