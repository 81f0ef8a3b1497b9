"""Experiments built on the engine: the course reproduction (like minGPT's projects/)."""
