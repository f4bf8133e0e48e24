"""The official provider SDKs as independent clients of the emulator."""
