"""One reader per input format; each turns a file into articles (or says why it cannot)."""
