"""Behind a CDN: surrogate keys on public responses, and purges of the keys each write changes."""
