"""Prefect flows composing the etholake library."""
