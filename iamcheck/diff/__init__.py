"""`iamcheck diff`: who gained and who lost console access between two reads (run, document)."""
