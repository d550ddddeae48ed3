"""The figures of the service (issue 16 §5): counts over a period for one clinic, never a name."""
