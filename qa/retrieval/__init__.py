"""Finding the passages: hybrid search (dense + BM25, fused), reranking, score arithmetic, the time
window a question names, term weights, and the llama-index retriever adapter."""
