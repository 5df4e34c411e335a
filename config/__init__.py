"""Settings from the environment, and the data files (catalogue, demo county) beside them."""
