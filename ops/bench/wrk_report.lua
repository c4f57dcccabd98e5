-- wrk script for ops/bench/run.py: requests paths drawn at random from BENCH_PATHS (one per
-- line; repeat a path to weight it) and prints one machine-readable line of results.
local paths = {}

init = function(args)
  for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^\n]+") do
    table.insert(paths, path)
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
      .. '"errors": %d, "non2xx": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1000000),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
