"""Pure Python: the flow engine, the flow definitions (case, order, provider) and the
working calendar. Imports nothing of Flask, SQLAlchemy or the rest of the project."""
