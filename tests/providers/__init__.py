"""Tests of the providers' catalogs, parsers and signers."""
