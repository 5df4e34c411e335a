"""Domain operations: they flush, never commit, and raise DomainError subclasses."""
