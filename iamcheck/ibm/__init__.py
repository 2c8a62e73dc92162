"""IBM Cloud through IBM's official SDKs: one module per API, each returning model values."""
