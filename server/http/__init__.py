"""HTTP plumbing: authentication, CORS, TLS material."""
