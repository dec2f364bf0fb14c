"""The demo installation: seeds every app's demo data in dependency order (top of the stack)."""
