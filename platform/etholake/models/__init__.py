"""Behavior classifiers: training sets, estimators, grouped evaluation, registry, labelling loop."""
