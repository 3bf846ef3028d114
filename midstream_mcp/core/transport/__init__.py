"""Ways chunks reach the pipeline from outside: upstream LLM providers (OpenAI-compatible SSE)."""
