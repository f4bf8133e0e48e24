"""Configuration: the pydantic schema (schema.py) apart from loading it (loading.py)."""
