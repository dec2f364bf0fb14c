"""Write use cases of the compatibility API (one module each)."""
