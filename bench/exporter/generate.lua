-- wrk: a non-streaming /api/generate, the request a batch client sends.
wrk.method = "POST"
wrk.body   = '{"model":"llama3.2:1b","prompt":"Why is the sky blue?","stream":false}'
wrk.headers["Content-Type"] = "application/json"
