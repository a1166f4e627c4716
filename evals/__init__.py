"""Accuracy evaluations on labelled data: quotes, entities, stories."""
