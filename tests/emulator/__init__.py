"""Tests of the provider API emulator."""
