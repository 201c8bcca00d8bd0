"""Answering one question: the request, evidence selection, quoted claims, assembly into a cited
``Answer``, Markdown, validation of what callers send, and the audit log."""
