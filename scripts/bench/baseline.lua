-- wrk script: the server's ceiling, POST /bench/baseline with a body the size of a delivery.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.rep("x", 1500)

function done(summary, latency, requests)
  io.write(string.format("latency p50_ms=%.2f p99_ms=%.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
