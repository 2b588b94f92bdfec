"""Optional LLM client, prompt delta cache and scheduling of inference work."""
