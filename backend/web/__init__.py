"""What every face shares: the API object and its one error shape, bearer authentication."""
